package org.minidiffusion.io;

import java.nio.ByteBuffer;

/** The safetensors element types this library reads, each converted to float32. */
enum Dtype {
    /** IEEE 754 binary64, rounded to float. */
    F64(8),
    /** IEEE 754 binary32. */
    F32(4),
    /** IEEE 754 binary16, converted exactly. */
    F16(2),
    /** Brain float 16, the upper half of a binary32, converted exactly. */
    BF16(2),
    /** Signed 64-bit integer, rounded to float. */
    I64(8),
    /** Signed 32-bit integer, rounded to float beyond 2^24. */
    I32(4),
    /** Unsigned 8-bit integer. */
    U8(1);

    private final int bytes;

    Dtype(int bytes) {
        this.bytes = bytes;
    }

    /**
     * Returns the size of one element.
     *
     * @return the byte count
     */
    int bytes() {
        return bytes;
    }

    /**
     * Returns the dtype named {@code name}, as in the header.
     *
     * @param name a dtype name such as {@code "F32"}
     * @return the dtype, or {@code null} if this library does not read it
     */
    static Dtype byName(String name) {
        for (Dtype d : values()) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        return null;
    }

    /**
     * Converts {@code count} little-endian elements from {@code src} into {@code dst}.
     *
     * @param src    the bytes, little-endian, with at least {@code count * bytes()} remaining
     * @param dst    the destination
     * @param offset the first index of {@code dst} to write
     * @param count  the element count
     */
    void decode(ByteBuffer src, float[] dst, int offset, int count) {
        if (this == F32) {
            src.asFloatBuffer().get(dst, offset, count);
            src.position(src.position() + 4 * count);
            return;
        }
        for (int i = offset; i < offset + count; i++) {
            dst[i] = next(src);
        }
    }

    private float next(ByteBuffer src) {
        return switch (this) {
            case F64 -> (float) src.getDouble();
            case F32 -> src.getFloat();
            case F16 -> halfToFloat(src.getShort());
            case BF16 -> bfloat16ToFloat(src.getShort());
            case I64 -> src.getLong();
            case I32 -> src.getInt();
            case U8 -> src.get() & 0xff;
        };
    }

    /**
     * Converts IEEE 754 binary16 bits to the float of the same value (exact: floats hold them all).
     *
     * @param half the 16 bits
     * @return the value, with subnormals, infinities and NaN preserved
     */
    static float halfToFloat(short half) {
        int bits = half & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            float v = mantissa * 0x1p-24f;
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /**
     * Converts bfloat16 bits, the upper half of a float32, to the float of the same value.
     *
     * @param bf16 the 16 bits
     * @return the value
     */
    static float bfloat16ToFloat(short bf16) {
        return Float.intBitsToFloat((bf16 & 0xffff) << 16);
    }
}
