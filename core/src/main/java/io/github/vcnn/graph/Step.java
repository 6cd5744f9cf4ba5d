package io.github.vcnn.graph;

/** One kernel call (or a few) of a lowered plan. Immutable and shared by every thread: all state lives in the {@link Frame}. */
abstract class Step {
    /** "node 'x' (Conv)": for messages and {@link CompiledModel#summary()}. */
    final String what;

    Step(String what) {
        this.what = what;
    }

    abstract void run(Frame f);

    /** What the step computes, e.g. "conv 3x3 + relu (simd kernel)". */
    abstract String describe();
}
