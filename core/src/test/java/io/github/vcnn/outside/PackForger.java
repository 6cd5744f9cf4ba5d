package io.github.vcnn.outside;

import io.github.vcnn.kernels.PackAccess;

/**
 * A class whose package starts with {@code io.github.vcnn.} but is none of the kernels' packages: it must not get the
 * key either (the check lists packages, it does not match a prefix). Used by {@code org.example.forge.ForgedPackTest}.
 */
public final class PackForger {
    private PackForger() {
    }

    public static PackAccess tryGrant() {
        return PackAccess.grant();
    }
}
