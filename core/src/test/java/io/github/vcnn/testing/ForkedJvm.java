package io.github.vcnn.testing;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a main class of the test class path in a fresh JVM (the JDK running the tests, the surefire class path) with a
 * timeout that really fires: output goes to a file, not a pipe read to its end before waiting, so a child that hangs
 * is killed after {@code timeout} and reported with what it printed so far.
 */
public final class ForkedJvm {
    private ForkedJvm() {
    }

    /** Exit code and the merged stdout + stderr of the child. */
    public record Result(int exit, String output) {
        public List<String> lines() {
            return output.lines().toList();
        }
    }

    public static String classPath() {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        if (cp == null || cp.isEmpty() || !cp.contains(File.separator)) throw new AssertionError("no usable class path: " + cp);
        return cp;
    }

    public static Result run(Duration timeout, List<String> jvmArgs, Class<?> main, String... args) throws IOException, InterruptedException {
        return run(timeout, java.util.Map.of(), jvmArgs, main, args);
    }

    /** As {@link #run(Duration, List, Class, String...)} with extra environment variables for the child. */
    public static Result run(Duration timeout, java.util.Map<String, String> env, List<String> jvmArgs, Class<?> main, String... args)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(classPath());
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        Path log = Files.createTempFile("vcnn-forked-jvm", ".log");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File(File.separatorChar == '/' ? "/dev/null" : "NUL")));
            pb.environment().putAll(env);
            Process proc = pb.start();
            if (!proc.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                proc.descendants().forEach(ProcessHandle::destroyForcibly);
                proc.destroyForcibly();
                proc.waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("forked JVM " + main.getSimpleName() + " did not finish within " + timeout + "; output so far:\n"
                        + Files.readString(log, StandardCharsets.UTF_8));
            }
            return new Result(proc.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
