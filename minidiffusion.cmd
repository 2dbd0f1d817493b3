@echo off
rem Runs a mini-diffusion demo command from any directory: minidiffusion generate, minidiffusion help.
rem The Windows twin of the POSIX script `minidiffusion` beside it, with the same JVM options and
rem environment variables (JAVA_HOME, MINIDIFFUSION_JAVA_OPTS, MINIDIFFUSION_MODELS, MINIDIFFUSION_NO_BUILD).
rem Builds the project first (mvn -B -q package -DskipTests -DskipImage) if its jars are missing or a pom.xml or a
rem file under src\main changed since this script last built it.
setlocal
set "ROOT=%~dp0"
if "%ROOT:~-1%"=="\" set "ROOT=%ROOT:~0,-1%"
set "LIB=%ROOT%\demos\target\lib"
set "PARALLEL=%ROOT%\backend-parallel\target\backend-parallel.jar"
set "SCALAR=%ROOT%\backend-scalar\target\backend-scalar.jar"
set "STAMP=%ROOT%\demos\target\minidiffusion-launcher.stamp"

set "BUILT=1"
if not exist "%PARALLEL%" set "BUILT="
if not exist "%SCALAR%" set "BUILT="
dir /b "%LIB%\minidiffusion-demos-*.jar" >nul 2>&1 || set "BUILT="

set "BUILD="
if not defined BUILT set "BUILD=1"
if "%MINIDIFFUSION_NO_BUILD%"=="1" goto build
if not exist "%STAMP%" set "BUILD=1"
if defined BUILD goto build
rem a pom.xml or a file under src\main newer than the stamp (PowerShell, which every supported Windows has)
for /f "usebackq delims=" %%F in (`powershell -NoProfile -Command "$s = (Get-Item -LiteralPath '%STAMP%').LastWriteTime; Get-ChildItem -LiteralPath '%ROOT%' -Recurse -File | Where-Object { $_.FullName -notmatch '\\(target|\.git)\\' -and ($_.Name -eq 'pom.xml' -or $_.FullName -match '\\src\\main\\') -and $_.LastWriteTime -gt $s } | Select-Object -First 1 -ExpandProperty FullName"`) do set "BUILD=1"

:build
if not defined BUILD goto run
if "%MINIDIFFUSION_NO_BUILD%"=="1" goto nobuild
if not exist "%ROOT%\pom.xml" goto nobuild
where mvn >nul 2>&1
if errorlevel 1 (
    if defined BUILT (
        echo minidiffusion: the sources changed since the last build, but Maven ^(mvn^) is not on the PATH: running the old build 1>&2
        goto run
    )
    echo minidiffusion: Maven ^(mvn^) is not on the PATH: install Maven 3.8 or newer, or build with it elsewhere 1>&2
    exit /b 1
)
echo minidiffusion: building ^(mvn -B -q package -DskipTests -DskipImage in %ROOT%^), about a minute 1>&2
pushd "%ROOT%"
call mvn -B -q -Dstyle.color=never package -DskipTests -DskipImage 1>&2
set "MVN_EXIT=%ERRORLEVEL%"
popd
if not "%MVN_EXIT%"=="0" (
    echo minidiffusion: the build failed 1>&2
    exit /b 1
)
type nul > "%STAMP%"
goto run

:nobuild
if defined BUILT goto run
echo minidiffusion: no build in %LIB%, and MINIDIFFUSION_NO_BUILD=1 or no pom.xml in %ROOT% to build one from 1>&2
exit /b 1

:run
set "JAVA=java"
if defined JAVA_HOME set "JAVA=%JAVA_HOME%\bin\java"
rem Memory: see README.md, "Memory". The one-line log format is SimpleFormatter's (level, logger, message).
"%JAVA%" -XX:+UseSerialGC --add-modules jdk.incubator.vector --module-path "%LIB%;%PARALLEL%;%SCALAR%" "-Dminidiffusion.models=%ROOT%\models" "-Djava.util.logging.SimpleFormatter.format=%%4$s %%3$s: %%5$s%%6$s%%n" %MINIDIFFUSION_JAVA_OPTS% -m org.minidiffusion.demos %*
exit /b %ERRORLEVEL%
