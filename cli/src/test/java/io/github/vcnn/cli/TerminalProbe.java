package io.github.vcnn.cli;

/** A child JVM reporting what the progress output decides about its stderr (run by {@link ProgressTest}). */
public final class TerminalProbe {
    private TerminalProbe() {
    }

    public static void main(String[] args) {
        try (TrainSupport.Progress p = new TrainSupport.Progress("epoch", 1, 10, TrainingOptions.ProgressMode.AUTO)) {
            System.out.println("terminal=" + TrainSupport.stderrIsTerminal() + " live=" + p.live());
        }
    }
}
