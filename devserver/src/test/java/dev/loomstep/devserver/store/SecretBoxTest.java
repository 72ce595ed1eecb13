package dev.loomstep.devserver.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretBoxTest {
    @TempDir
    Path dir;

    @Test
    void aSealedValueRevealsNothingAndOpensOnlyForItsOwnRowWithTheSameKey() throws Exception {
        SecretBox box = SecretBox.keyFile(dir.resolve("dev.db"));
        String sealed = box.seal("{\"auth_key\":\"sk-live-123\"}", "gateway run-1 step-a");

        assertFalse(sealed.contains("sk-live-123"), sealed);
        assertNotEquals(sealed, box.seal("{\"auth_key\":\"sk-live-123\"}", "gateway run-1 step-a"), "a fresh nonce each time");
        assertEquals("{\"auth_key\":\"sk-live-123\"}", box.open(sealed, "gateway run-1 step-a"));
        assertEquals("{\"auth_key\":\"sk-live-123\"}", SecretBox.keyFile(dir.resolve("dev.db")).open(sealed, "gateway run-1 step-a"),
                "the key file outlives the process");

        assertThrows(SecretBox.UnreadableSecret.class, () -> box.open(sealed, "gateway run-2 step-a"));
        var other = assertThrows(SecretBox.UnreadableSecret.class, () -> SecretBox.ephemeral().open(sealed, "gateway run-1 step-a"));
        assertTrue(other.getMessage().contains("do not open with"), other.getMessage());
        assertThrows(SecretBox.UnreadableSecret.class, () -> box.open("{\"auth_key\":\"plain\"}", "gateway run-1 step-a"));
    }

    @Test
    void theKeyFileIsCreatedOwnerOnlyNextToTheDatabase() throws Exception {
        Path db = dir.resolve("data/dev.db");
        SecretBox.keyFile(db);
        Path file = dir.resolve("data/dev.db.key");
        assertEquals(file, SecretBox.keyFileOf(db));
        assertTrue(Files.readString(file).strip().matches("[0-9a-f]{64}"));
        if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        }
        try (var listing = Files.list(file.getParent())) {
            assertEquals(1, listing.count(), "no temporary file is left behind");
        }
    }

    @Test
    void aKeyFileThatHoldsNoKeyStopsTheStartWithOneLine() throws Exception {
        Path db = dir.resolve("dev.db");
        Files.writeString(SecretBox.keyFileOf(db), "not a key\n");
        var e = assertThrows(StoreException.class, () -> SecretBox.keyFile(db));
        assertTrue(e.getMessage().startsWith("the key file " + SecretBox.keyFileOf(db) + " does not hold a key"), e.getMessage());
    }

    @Test
    void aDerivedKeyStillOpensWhatTheDevModeKeyFileSealed() throws Exception {
        Path db = dir.resolve("dev.db");
        String sealedInDevMode = SecretBox.keyFile(db).seal("secret", "ctx");
        byte[] derived = new byte[32];
        Arrays.fill(derived, (byte) 7);

        SecretBox production = SecretBox.derived(derived, db);
        assertEquals("secret", production.open(sealedInDevMode, "ctx"));
        String sealed = production.seal("secret 2", "ctx");
        assertEquals("secret 2", SecretBox.derived(derived.clone(), dir.resolve("elsewhere.db")).open(sealed, "ctx"));
        assertThrows(SecretBox.UnreadableSecret.class, () -> SecretBox.keyFile(db).open(sealed, "ctx"));
    }
}
