/**
 * Reading and writing the files a diffusion model meets: checkpoints, datasets, images and plots.
 *
 * <h2>Safetensors checkpoints</h2>
 * {@link org.minidiffusion.io.Safetensors} reads and writes the
 * <a href="https://github.com/huggingface/safetensors">safetensors</a> format of Hugging Face,
 * PyTorch and diffusers:
 * <pre>
 *   u64 little-endian   N, the header length
 *   N bytes of UTF-8    {"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, ...,
 *                        "__metadata__": {"format": "pt"}}     (may end with padding spaces)
 *   the data buffer     each tensor little-endian, row-major, at its offsets from the buffer start
 * </pre>
 * The tensors' byte ranges must tile the buffer exactly. Reading converts every supported dtype
 * to float32; writing produces float32 with an 8-byte-aligned header, atomically. Reading refuses
 * a header beyond {@link org.minidiffusion.io.Safetensors.Limits} (by default 100,000,000 bytes, the
 * reference implementation's limit, and 100,000 tensors) before parsing it.
 *
 * <h2>IDX datasets</h2>
 * {@link org.minidiffusion.io.Idx} reads the IDX format of
 * <a href="http://yann.lecun.com/exdb/mnist/">LeCun's MNIST database</a>, also used by
 * <a href="https://github.com/zalandoresearch/fashion-mnist">Fashion-MNIST</a>: the bytes
 * {@code 00 00}, a type byte ({@code 08} for unsigned bytes), a rank byte, the dims as
 * big-endian int32, then the data. Files may be gzip-compressed.
 * {@link org.minidiffusion.io.FashionMnist} pairs an images file {@code (N, 28, 28)} with a labels
 * file {@code (N)} and serves batches scaled to {@code [-1, 1]}; the repository ships the
 * 10,000-image test split in {@code data/fashion-mnist}.
 *
 * <h2>Images and plots</h2>
 * {@link org.minidiffusion.io.Images} writes 8-bit grey or RGB
 * <a href="https://www.w3.org/TR/png/">PNG</a> files through Apache Commons Imaging, mapping
 * {@code [-1, 1]} to {@code [0, 255]}, and tiles batches into grids. It reads PNG files of every
 * colour type and bit depth with its own bounded decoder: images beyond
 * {@link org.minidiffusion.io.Images.Limits} (by default 16,384 pixels per side and 2^24 pixels)
 * are refused before any pixel memory is allocated, and every chunk's CRC is checked.
 * {@link org.minidiffusion.io.Plot} writes charts, such as a loss per step, as PNG files; they are
 * drawn by our own code in {@link org.minidiffusion.io.chart} (which says why no plotting library).
 *
 * <h2>Errors and atomicity</h2>
 * A file whose content is invalid throws {@link org.minidiffusion.io.FileFormatException}, whose
 * message starts with the file and names the entry at fault; the readers are fuzzed in the build
 * ({@code ReaderFuzzTests}) to keep it so. Every writer replaces its file atomically: it writes a
 * temporary file in the same directory, forces it to disk and renames it over the target, so a
 * failed write leaves the previous file intact; a temporary file left by a killed write is removed
 * by the next write of the same target.
 */
package org.minidiffusion.io;
