package dev.loomstep.examples;

import dev.loomstep.Function;
import dev.loomstep.Trigger;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * A parallel fan-out: one step per image, all reported to the executor at once and run concurrently,
 * then a final step that sums their results.
 */
public final class ImageFanOut {
    /** The data of {@code media/album.uploaded}. */
    public record AlbumUploaded(String albumId, int images) {}

    public record Thumbnail(int index, int bytes) {}

    public static final String ALBUM_UPLOADED = "media/album.uploaded";

    private ImageFanOut() {}

    public static Function<AlbumUploaded, Integer> function() {
        return Function.builder("album-thumbnails").name("Make album thumbnails")
                .trigger(Trigger.event(ALBUM_UPLOADED))
                .handler(AlbumUploaded.class, (input, step) -> {
                    var branches = new ArrayList<Callable<Thumbnail>>();
                    for (int i = 0; i < input.data().images(); i++) {
                        int index = i;
                        branches.add(() -> step.run("thumbnail-" + index, Thumbnail.class,
                                () -> new Thumbnail(index, 1_000 + (index * 37) % 500)));
                    }
                    List<Thumbnail> thumbnails = step.parallel(branches);
                    return step.run("total-bytes", Integer.class,
                            () -> thumbnails.stream().mapToInt(Thumbnail::bytes).sum());
                });
    }
}
