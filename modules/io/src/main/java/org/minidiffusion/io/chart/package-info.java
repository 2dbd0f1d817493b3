/**
 * Charts drawn by our own code: {@link org.minidiffusion.io.chart.LineChart} renders a line chart
 * with a title, labelled axes, Heckbert's nice ticks, a linear or logarithmic y axis, each series
 * raw and smoothed, and a legend, to an {@link org.minidiffusion.io.chart.RgbImage};
 * {@link org.minidiffusion.io.Plot} writes it as a PNG file.
 *
 * <h2>Why not XChart or JFreeChart</h2>
 * Both were tried on the module path (2026-12-02, JDK 17, {@code java.awt.headless=true}) and both
 * render a log-scale loss chart to PNG there. They were left out for these reasons:
 * <ul>
 *   <li><b>Weight and module hygiene.</b> JFreeChart 1.5.6 is a 1.65 MB jar (692 classes) with no
 *       module descriptor (automatic module {@code org.jfree.jfreechart}) under the LGPL 2.1.
 *       XChart 3.8.8 is 360 KB (automatic module {@code org.knowm.xchart}, Apache 2.0) but brings
 *       VectorGraphics2D 0.13, pdfbox-graphics2d 3.0.1, animated-gif-lib 1.4, PDFBox, FontBox,
 *       pdfbox-io 3.0.1 and commons-logging 1.2, about 4.3 MB in eight jars, none with a module
 *       descriptor and three named only after their file ({@code VectorGraphics2D},
 *       {@code animated.gif.lib}, {@code commons.logging}). No split package with our
 *       dependencies was found, but either library would add unnamed-by-design modules to a
 *       library that otherwise ships real descriptors, and a dependency that the project's design
 *       card (JUnit 5, Eclipse Collections, Apache Commons Imaging, Mockito) does not list.</li>
 *   <li><b>Text through the system's fonts.</b> Both draw text with AWT fonts, which the JDK takes
 *       from the machine through fontconfig (DejaVu here). The pixels of every label then depend on
 *       the machine and its fonts, so a test cannot compare them, and the same run gives different
 *       PNG files on two machines. Our 6x10 bitmap font ({@code font-6x10.txt}, X11's
 *       public-domain misc-fixed) and integer drawing give the same pixels everywhere, and the
 *       tests check them exactly.</li>
 *   <li><b>Size of the need.</b> One chart type, a few hundred lines: a title, two axes with nice
 *       ticks, a log scale, two lines per series and a legend.</li>
 * </ul>
 * The drawing needs nothing from {@code java.desktop}; only the PNG encoding in
 * {@link org.minidiffusion.io.Plot} goes through a {@code BufferedImage} to Apache Commons Imaging,
 * as {@link org.minidiffusion.io.Images} does.
 *
 * <h2>What a chart shows</h2>
 * Ticks follow Heckbert, "Nice numbers for graph labels" (Graphics Gems, 1990): spacings of 1, 2
 * or 5 times a power of ten, axes from one labelled tick to another. A logarithmic axis labels the
 * powers of ten, or 1-2-5 or 1-9 times them when few decades are shown. The bold line is the
 * bias-corrected exponential moving average that TensorBoard draws. Values that cannot be drawn
 * are skipped and counted in a note under the legend; a series with no drawable value is an error.
 */
package org.minidiffusion.io.chart;
