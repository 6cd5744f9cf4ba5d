package io.github.vcnn.nn;

/** Ready-made architectures. */
public final class Architectures {
    private Architectures() {
    }

    /**
     * LeNet-FM for 28x28 grey images (Fashion-MNIST): Conv(1->32, 5x5, pad 2)+ReLU, MaxPool 2, Conv(32->64, 5x5, pad 2)+ReLU,
     * MaxPool 2, Flatten, Linear(3136->128)+ReLU, Dropout(0.5), Linear(128->classes). About 65 MFLOP per image per
     * training step. Layers 0-5 are the convolutional feature extractor, 6-10 the classifier head.
     */
    public static Sequential leNetFm(int classes, long seed) {
        Sequential m = new Sequential(new int[]{1, 28, 28},
                new Conv2d(1, 32, 5, 1, 2), new ReLU(), new MaxPool2d(2),
                new Conv2d(32, 64, 5, 1, 2), new ReLU(), new MaxPool2d(2),
                new Flatten(),
                new Linear(3136, 128), new ReLU(), new Dropout(0.5),
                new Linear(128, classes));
        return m.initialize(seed);
    }

    /** Number of LeNet-FM layers that form the convolutional feature extractor (conv, relu, pool, conv, relu, pool). */
    public static final int LENET_FM_FEATURE_LAYERS = 6;
}
