package dev.loomstep.devserver.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seals the secrets a queue row must keep to perform a call after a restart (a model provider's API
 * key, a fetch's auth headers), so the database file never holds them readable: AES-256-GCM with a
 * random nonce, bound to the row's run and step (a sealed value copied to another row does not open).
 *
 * <p>The key is the devserver's, never in the database: in production mode derived from the signing
 * key; otherwise 32 random bytes in a key file next to the database ({@code <db>.key}, created
 * owner-only); in memory, a key of the process. Losing the key loses only the sealed rows' calls: they
 * fail with a line that says why.
 */
public final class SecretBox {
    private static final Logger LOG = LoggerFactory.getLogger(SecretBox.class);
    private static final String PREFIX = "sealed:v1:";
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A sealed value that does not open with this devserver's key(s). */
    public static final class UnreadableSecret extends Exception {
        public UnreadableSecret(String message) {
            super(message);
        }
    }

    private final SecretKeySpec sealing;
    /** The sealing key first, then keys that may have sealed older rows (a dev-mode key file, in production). */
    private final List<SecretKeySpec> opening;
    private final String origin;

    private SecretBox(byte[] key, List<byte[]> older, String origin) {
        this.sealing = aes(key);
        var keys = new ArrayList<SecretKeySpec>();
        keys.add(sealing);
        older.forEach(k -> keys.add(aes(k)));
        this.opening = List.copyOf(keys);
        this.origin = origin;
    }

    /** A key of this process only: for a database in memory, which nothing outlives. */
    public static SecretBox ephemeral() {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        return new SecretBox(key, List.of(), "a key of this process");
    }

    /**
     * A key derived from another secret (production mode: the signing key); rows sealed earlier with the
     * dev-mode key file next to {@code database}, when there is one, still open.
     */
    public static SecretBox derived(byte[] key, Path database) {
        List<byte[]> older = new ArrayList<>();
        if (database != null && Files.isRegularFile(keyFileOf(database))) {
            older.add(readKey(keyFileOf(database)));
        }
        return new SecretBox(key, older, "the key derived from the signing key");
    }

    /** The key in the file next to {@code database} ({@code <db>.key}), created owner-only on first use. */
    public static SecretBox keyFile(Path database) {
        Path file = keyFileOf(database);
        if (!Files.exists(file)) {
            create(file);
        }
        return new SecretBox(readKey(file), List.of(), "the key in " + file);
    }

    /** Where the key of a database file lives. */
    public static Path keyFileOf(Path database) {
        Path abs = database.toAbsolutePath();
        return abs.resolveSibling(abs.getFileName() + ".key");
    }

    /** {@code plain} sealed for the row of {@code context} (e.g. run and step): a text that reveals nothing of it. */
    public String seal(String plain, String context) {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, sealing, new GCMParameterSpec(TAG_BITS, nonce));
            c.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            byte[] sealed = c.doFinal(plain.getBytes(StandardCharsets.UTF_8));
            byte[] out = ByteBuffer.allocate(nonce.length + sealed.length).put(nonce).put(sealed).array();
            return PREFIX + Base64.getEncoder().encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM cannot encrypt with AES-GCM", e);
        }
    }

    /** The plain text of a value {@link #seal}ed for the same {@code context}. */
    public String open(String sealed, String context) throws UnreadableSecret {
        byte[] bytes;
        try {
            if (sealed == null || !sealed.startsWith(PREFIX)) {
                throw new IllegalArgumentException("no " + PREFIX + " prefix");
            }
            bytes = Base64.getDecoder().decode(sealed.substring(PREFIX.length()));
            if (bytes.length < NONCE_BYTES + TAG_BITS / 8) {
                throw new IllegalArgumentException("too short");
            }
        } catch (IllegalArgumentException e) {
            throw new UnreadableSecret("the saved request is not a sealed value (" + e.getMessage() + ")");
        }
        for (SecretKeySpec key : opening) {
            try {
                Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
                c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, bytes, 0, NONCE_BYTES));
                c.updateAAD(context.getBytes(StandardCharsets.UTF_8));
                return new String(c.doFinal(bytes, NONCE_BYTES, bytes.length - NONCE_BYTES), StandardCharsets.UTF_8);
            } catch (javax.crypto.AEADBadTagException wrongKey) {
                // try the next key
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("this JVM cannot decrypt with AES-GCM", e);
            }
        }
        throw new UnreadableSecret("the request's saved secrets do not open with " + origin
                + " (sealed under another signing key or key file?)");
    }

    private static SecretKeySpec aes(byte[] key) {
        if (key.length != 32) {
            throw new IllegalArgumentException("an AES-256 key has 32 bytes, not " + key.length);
        }
        return new SecretKeySpec(key, "AES");
    }

    private static void create(Path file) {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        byte[] text = (HexFormat.of().formatHex(key) + "\n").getBytes(StandardCharsets.US_ASCII);
        Path tmp = null;
        try {
            Files.createDirectories(file.getParent());
            // Written owner-only under another name first, then moved: the key is never readable by
            // others, and a reader never sees half a key.
            tmp = posix(file)
                    ? Files.createTempFile(file.getParent(), file.getFileName() + ".", ".tmp",
                            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                    : Files.createTempFile(file.getParent(), file.getFileName() + ".", ".tmp");
            Files.write(tmp, text);
            Files.move(tmp, file);
            tmp = null;
        } catch (FileAlreadyExistsException raced) {
            // another process made it first: use theirs
        } catch (IOException e) {
            throw new StoreException("cannot create the key file " + file + " for secrets at rest: " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a stray temporary file; nothing else to do
                }
            }
        }
    }

    private static byte[] readKey(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII).strip();
            if (posix(file)) {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
                if (perms.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
                    LOG.warn("the key file {} can be read by others ({}); make it owner-only: chmod 600 {}", file,
                            PosixFilePermissions.toString(perms), file);
                }
            }
        } catch (IOException e) {
            throw new StoreException("cannot read the key file " + file + " for secrets at rest: " + e.getMessage(), e);
        }
        if (!text.matches("[0-9a-fA-F]{64}")) {
            throw new StoreException("the key file " + file + " does not hold a key (64 hex digits); move it away to start"
                    + " with a new one (calls saved under the old key then fail)", null);
        }
        return HexFormat.of().parseHex(text);
    }

    private static boolean posix(Path file) {
        return file.getFileSystem().supportedFileAttributeViews().contains("posix");
    }
}
