package io.github.vcnn.graph;

/**
 * A graph lowered for one batch size: the steps in order, where each value lives, and the size of the arena that
 * holds every intermediate value (offsets planned from the values' lifetimes). Immutable; shared by all threads.
 */
final class Plan {
    final int batch;
    final Step[] steps;
    final byte[] kind;
    final int[] index;
    final int[] offset;
    final float[][] consts;
    /** Floats of arena the plan needs. */
    final int arenaSize;
    /** Value ids of the graph inputs and outputs, and their sizes at this batch. */
    final int[] inputIds, outputIds, inputSizes, outputSizes;
    /** Sum of the sizes of every intermediate value: what the arena would be without reuse. */
    final long unplannedSize;

    Plan(int batch, Step[] steps, byte[] kind, int[] index, int[] offset, float[][] consts, int arenaSize,
         int[] inputIds, int[] outputIds, int[] inputSizes, int[] outputSizes, long unplannedSize) {
        this.batch = batch;
        this.steps = steps;
        this.kind = kind;
        this.index = index;
        this.offset = offset;
        this.consts = consts;
        this.arenaSize = arenaSize;
        this.inputIds = inputIds;
        this.outputIds = outputIds;
        this.inputSizes = inputSizes;
        this.outputSizes = outputSizes;
        this.unplannedSize = unplannedSize;
    }

    void run(Frame f) {
        for (Step s : steps) s.run(f);
    }
}
