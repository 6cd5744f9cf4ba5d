package io.github.vcnn.spark;

import javax.imageio.ImageIO;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Serializable;
import java.util.Arrays;

/**
 * An image as a model input {@code [C, H, W]}, the way {@code vcnn infer} prepares one: the shorter side resized
 * (bilinear) to {@code resize}, a center crop of the model's H x W, RGB scaled to [0,1] (grey: 0.299 R + 0.587 G +
 * 0.114 B), then {@code (x - mean) / std} per channel. Defaults as in {@code vcnn infer}: resize 256/224 of the input
 * size for 3 channels and the input size itself for 1; mean 0.485,0.456,0.406 and std 0.229,0.224,0.225 for RGB, 0 and
 * 1 for grey.
 *
 * <p>The arithmetic is the same as {@code io.github.vcnn.cli.InferCommand}'s (a test checks that both give the same
 * bits); it is repeated here because the CLI is not a dependency of this module. Immutable and thread-safe.
 */
public final class ImagePreprocessing implements Serializable {
    private static final long serialVersionUID = 1L;

    static {
        ImageIO.setUseCache(false);   // decode in memory: no temp files in executors' working folders
    }

    private final int channels, height, width, shortSide;
    private final float[] mean, std;

    /**
     * @param resize 0 for the default; else the shorter side before the crop (at least min(H, W))
     * @param mean   empty for the default; else 1 or C values
     * @param std    empty for the default; else 1 or C finite non-zero values
     * @throws IllegalArgumentException naming the parameter when a value does not fit the model's input
     */
    public ImagePreprocessing(int channels, int height, int width, int resize, float[] mean, float[] std) {
        if (channels != 1 && channels != 3) throw new IllegalArgumentException("images need a model input of 1 or 3 channels, got " + channels);
        if (height < 1 || width < 1) throw new IllegalArgumentException("image size must be positive, got " + height + "x" + width);
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.mean = mean != null && mean.length > 0 ? mean.clone() : channels == 3 ? new float[]{0.485f, 0.456f, 0.406f} : new float[]{0f};
        this.std = std != null && std.length > 0 ? std.clone() : channels == 3 ? new float[]{0.229f, 0.224f, 0.225f} : new float[]{1f};
        if (this.mean.length != channels && this.mean.length != 1) {
            throw new IllegalArgumentException("mean needs 1 or " + channels + " values, got " + this.mean.length);
        }
        if (this.std.length != channels && this.std.length != 1) {
            throw new IllegalArgumentException("std needs 1 or " + channels + " values, got " + this.std.length);
        }
        for (float v : this.std) if (!(v != 0f) || !Float.isFinite(v)) throw new IllegalArgumentException("std values must be finite and non-zero, got " + Arrays.toString(this.std));
        for (float v : this.mean) if (!Float.isFinite(v)) throw new IllegalArgumentException("mean values must be finite, got " + Arrays.toString(this.mean));
        if (resize < 0) throw new IllegalArgumentException("resize must be >= 0 (0: the default), got " + resize);
        this.shortSide = resize > 0 ? resize : channels == 3 ? Math.round(Math.min(height, width) * 256f / 224f) : Math.min(height, width);
        if (shortSide < Math.min(height, width)) {
            throw new IllegalArgumentException("resize " + shortSide + " is smaller than the model's input " + height + "x" + width);
        }
    }

    /** Floats per image: C * H * W. */
    public int size() {
        return channels * height * width;
    }

    /** Decodes PNG, JPEG, BMP or GIF bytes; IllegalArgumentException when javax.imageio cannot read them. */
    public static BufferedImage decode(byte[] bytes, String what) {
        BufferedImage img;
        try {
            img = ImageIO.read(new ByteArrayInputStream(bytes));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(what + " is not an image javax.imageio can read: " + e.getMessage(), e);
        }
        if (img == null) throw new IllegalArgumentException(what + " is not an image javax.imageio can read (" + bytes.length + " bytes)");
        return img;
    }

    /** Writes the {@code [C, H, W]} input of {@code img} to {@code dst[off ..]}. */
    public void apply(BufferedImage img, float[] dst, int off) {
        int c = channels, h = height, w = width;
        float[] mu = mean, sd = std;
        double scale = (double) shortSide / Math.min(img.getWidth(), img.getHeight());
        int rw = Math.max(w, (int) Math.round(img.getWidth() * scale)), rh = Math.max(h, (int) Math.round(img.getHeight() * scale));
        BufferedImage resized = new BufferedImage(rw, rh, BufferedImage.TYPE_INT_RGB);
        Graphics2D gr = resized.createGraphics();
        gr.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        gr.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
        gr.drawImage(img, 0, 0, rw, rh, null);
        gr.dispose();
        int x0 = (rw - w) / 2, y0 = (rh - h) / 2;
        for (int i = 0; i < h; i++) {
            for (int j = 0; j < w; j++) {
                int rgb = resized.getRGB(x0 + j, y0 + i);
                float r = ((rgb >> 16) & 255) / 255f, gg = ((rgb >> 8) & 255) / 255f, b = (rgb & 255) / 255f;
                if (c == 1) {
                    dst[off + i * w + j] = (0.299f * r + 0.587f * gg + 0.114f * b - mu[0]) / sd[0];
                } else {
                    float[] v = {r, gg, b};
                    for (int ch = 0; ch < 3; ch++) dst[off + (ch * h + i) * w + j] = (v[ch] - mu[mu.length == 1 ? 0 : ch]) / sd[sd.length == 1 ? 0 : ch];
                }
            }
        }
    }

    /**
     * A row of Spark's "image" data source ({@code data}: {@code height * width * nChannels} bytes, row-major, BGR or BGRA
     * as OpenCV stores them, or one grey byte) as an RGB image.
     */
    public static BufferedImage fromImageSchema(int height, int width, int nChannels, byte[] data, String what) {
        if (height < 1 || width < 1 || (nChannels != 1 && nChannels != 3 && nChannels != 4)) {
            throw new IllegalArgumentException(what + ": image of " + height + "x" + width + "x" + nChannels + " (height x width x channels) is not 1, 3 or 4 channels");
        }
        if (data == null || (long) height * width * nChannels != data.length) {
            throw new IllegalArgumentException(what + ": image data has " + (data == null ? 0 : data.length) + " bytes, "
                    + height + "x" + width + "x" + nChannels + " needs " + (long) height * width * nChannels);
        }
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int p = (y * width + x) * nChannels;
                int r, g, b;
                if (nChannels == 1) {
                    r = g = b = data[p] & 255;
                } else {
                    b = data[p] & 255;
                    g = data[p + 1] & 255;
                    r = data[p + 2] & 255;
                }
                img.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        return img;
    }
}
