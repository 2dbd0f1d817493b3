@echo off
rem Runs a mini-diffusion demo command with this runtime image, which needs no JDK:
rem   bin\minidiffusion generate, bin\minidiffusion help. The Windows twin of bin/minidiffusion.
setlocal
set "IMAGE=%~dp0.."
for %%I in ("%IMAGE%") do set "IMAGE=%%~fI"
rem Memory: see README.md, "Memory". The one-line log format is SimpleFormatter's (level, logger, message).
"%IMAGE%\bin\java" -XX:+UseSerialGC --add-modules jdk.incubator.vector "-Dminidiffusion.models=%IMAGE%\models" "-Djava.util.logging.SimpleFormatter.format=%%4$s %%3$s: %%5$s%%6$s%%n" %MINIDIFFUSION_JAVA_OPTS% -m org.minidiffusion.demos %*
exit /b %ERRORLEVEL%
