package io.github.vcnn.nn;

import io.github.vcnn.io.SafeTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Save/load: round trip, PyTorch names, corrupt and truncated files, shape mismatches, subsets for transfer learning. */
class ModelIoTest {

    private static Sequential small(long seed, int classes) {
        return new Sequential(new int[]{2, 6, 6},
                new Conv2d(2, 3, 3, 1, 1), new LeakyReLU(0.05f), new AvgPool2d(2), new Flatten(),
                new Linear(27, 8), new Sigmoid(), new Dropout(0.2), new Linear(8, classes, false)).initialize(seed);
    }

    private static float[] weights(Sequential m) {
        float[] all = new float[(int) m.parameterCount()];
        int o = 0;
        for (Parameter p : m.parameters()) {
            System.arraycopy(p.data(), 0, all, o, p.size());
            o += p.size();
        }
        return all;
    }

    @Test
    void roundTripRebuildsArchitectureAndWeights(@TempDir Path tmp) throws IOException {
        Sequential m = small(1, 4);
        m.layer(0).trainable(false);
        Path f = tmp.resolve("m.safetensors");
        m.save(f);
        SafeTensors st = SafeTensors.read(f);
        assertEquals(List.of("0.weight", "0.bias", "4.weight", "4.bias", "7.weight"), List.copyOf(st.tensors().keySet()));
        assertTrue(st.metadata().containsKey(Model.ARCHITECTURE_KEY));

        Sequential back = Model.load(f);
        assertEquals(Model.architecture(m), Model.architecture(back));
        assertArrayEquals(weights(m), weights(back));
        assertFalse(back.layer(0).isTrainable(), "the frozen flag is part of the architecture");
        float[] x = new float[3 * 72];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i);
        assertArrayEquals(m.eval().forward(x, 3, 2, 6, 6), back.eval().forward(x, 3, 2, 6, 6));

        Sequential other = small(2, 4);
        other.loadWeights(f);
        assertArrayEquals(weights(m), weights(other));
    }

    @Test
    void loadsPyTorchStateDictNamesWithoutMetadata(@TempDir Path tmp) throws IOException {
        Sequential m = small(3, 4);
        Path f = tmp.resolve("torch.safetensors");
        // What safetensors.torch.save_file(model.state_dict()) writes: names only, no vcnn metadata.
        List<SafeTensors.Entry> entries = new java.util.ArrayList<>();
        float v = 0;
        for (Map.Entry<String, Parameter> e : m.stateDict().entrySet()) {
            float[] data = new float[e.getValue().size()];
            for (int i = 0; i < data.length; i++) data[i] = v++ / 1000f;
            entries.add(new SafeTensors.Entry(e.getKey(), e.getValue().shape(), data));
        }
        SafeTensors.write(f, entries, Map.of("format", "pt"));
        m.loadWeights(f);
        assertEquals(0.001f, m.layer(0).parameters().get(0).data()[1]);
        IOException e = assertThrows(IOException.class, () -> Model.load(f));
        assertTrue(e.getMessage().contains("loadWeights"), e.getMessage());
    }

    @Test
    void truncatedOrCorruptFileLoadsNothing(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("m.safetensors");
        small(1, 4).save(f);
        byte[] bytes = Files.readAllBytes(f);
        Sequential target = small(9, 4);
        float[] before = weights(target);

        Path truncated = tmp.resolve("truncated.safetensors");
        Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length - 10));
        assertThrows(IOException.class, () -> target.loadWeights(truncated));
        assertThrows(IOException.class, () -> Model.load(truncated));
        assertArrayEquals(before, weights(target));

        Path corrupt = tmp.resolve("corrupt.safetensors");
        byte[] bad = bytes.clone();
        for (int i = 8; i < 40; i++) bad[i] = (byte) '#';
        Files.write(corrupt, bad);
        IOException e = assertThrows(IOException.class, () -> target.loadWeights(corrupt));
        assertTrue(e.getMessage().contains("corrupt.safetensors"), e.getMessage());
        assertArrayEquals(before, weights(target));

        Path empty = tmp.resolve("empty.safetensors");
        Files.write(empty, new byte[3]);
        assertThrows(IOException.class, () -> Model.load(empty));
        assertThrows(NoSuchFileException.class, () -> Model.load(tmp.resolve("does-not-exist.safetensors")));
    }

    @Test
    void shapeMismatchNamesTensorAndBothShapesAndLoadsNothing(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("four.safetensors");
        small(1, 4).save(f);
        Sequential five = small(2, 5);
        float[] before = weights(five);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> five.loadWeights(f));
        assertTrue(e.getMessage().contains("'7.weight'") && e.getMessage().contains("[4, 8]") && e.getMessage().contains("[5, 8]"), e.getMessage());
        assertArrayEquals(before, weights(five), "layers before the mismatch must not be assigned either");
        assertThrows(IllegalArgumentException.class, () -> five.loadWeights(f, false), "non-strict still rejects wrong shapes");
    }

    @Test
    void subsetsForTransferLearning(@TempDir Path tmp) throws IOException {
        Sequential source = small(1, 4);
        Path f = tmp.resolve("source.safetensors");
        source.save(f);
        Sequential target = small(2, 5); // new head: 7.weight has another shape
        float[] headBefore = target.layer(7).parameters().get(0).data().clone();
        Model.loadFirstLayers(target, f, 5);
        assertArrayEquals(source.layer(0).parameters().get(0).data(), target.layer(0).parameters().get(0).data());
        assertArrayEquals(source.layer(4).parameters().get(0).data(), target.layer(4).parameters().get(0).data());
        assertArrayEquals(headBefore, target.layer(7).parameters().get(0).data());

        // strict=false ignores tensors the model lacks and keeps parameters the file lacks.
        Path partial = tmp.resolve("partial.safetensors");
        SafeTensors.write(partial, List.of(new SafeTensors.Entry("0.bias", new int[]{3}, new float[]{1, 2, 3}),
                new SafeTensors.Entry("99.weight", new int[]{1}, new float[]{0})), Map.of());
        target.loadWeights(partial, false);
        assertArrayEquals(new float[]{1, 2, 3}, target.layer(0).parameters().get(1).data());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> target.loadWeights(partial, true));
        assertTrue(e.getMessage().contains("missing") && e.getMessage().contains("99.weight"), e.getMessage());
    }

    @Test
    void architectureJsonRejectsUnknownLayers() {
        String json = Model.architecture(small(1, 4)).replace("\"Sigmoid\"", "\"Softplus\"");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Model.fromArchitecture(json));
        assertTrue(e.getMessage().contains("Softplus"), e.getMessage());
    }
}
