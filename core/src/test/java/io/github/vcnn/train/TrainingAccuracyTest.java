package io.github.vcnn.train;

import io.github.vcnn.io.FashionMnist;
import io.github.vcnn.nn.Conv2d;
import io.github.vcnn.nn.Flatten;
import io.github.vcnn.nn.Linear;
import io.github.vcnn.nn.MaxPool2d;
import io.github.vcnn.nn.ReLU;
import io.github.vcnn.nn.Sequential;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real training: one epoch on the first 4,000 Fashion-MNIST training images must reach at least 72% accuracy on the
 * first 2,000 test images (a small conv net with Adam; chance is 10%, a linear model after one such epoch ~70%).
 * Skipped with a message when the data set is absent ({@code .ci/run} installs Debian's dataset-fashion-mnist).
 */
class TrainingAccuracyTest {
    static final double REQUIRED_ACCURACY = 0.72;

    @Test
    void oneEpochOnFourThousandImagesBeatsTheStatedAccuracy() throws Exception {
        Path dir;
        try {
            dir = FashionMnist.locate(null);
        } catch (NoSuchFileException e) {
            Assumptions.abort("Fashion-MNIST absent, training test skipped: " + e.getReason());
            return;
        }
        FashionMnist.Split tr = FashionMnist.train(dir), te = FashionMnist.test(dir);
        Dataset train = new Dataset(tr.images(), tr.labels(), 1, 28, 28).first(4000);
        Dataset test = new Dataset(te.images(), te.labels(), 1, 28, 28).first(2000);
        try (Sequential m = new Sequential(new int[]{1, 28, 28},
                new Conv2d(1, 8, 5, 1, 2), new ReLU(), new MaxPool2d(2),
                new Conv2d(8, 16, 5, 1, 2), new ReLU(), new MaxPool2d(2),
                new Flatten(), new Linear(784, 10)).initialize(7).threads(2)) {
            List<Trainer.EpochResult> r = new Trainer(m, new SoftmaxCrossEntropy(), new Adam(2e-3).weightDecay(1e-4))
                    .epochs(1).batchSize(32).seed(7).fit(train, test);
            double acc = r.get(0).testAccuracy();
            System.out.printf("one epoch on 4,000 images: loss %.4f, test accuracy %.2f%%, %.0f img/s%n", r.get(0).loss(), 100 * acc,
                    r.get(0).imagesPerSecond());
            assertTrue(acc >= REQUIRED_ACCURACY, "test accuracy " + acc + " < " + REQUIRED_ACCURACY + " (seed 7)");
        }
    }
}
