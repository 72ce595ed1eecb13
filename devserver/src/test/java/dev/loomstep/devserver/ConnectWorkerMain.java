package dev.loomstep.devserver;

import java.util.concurrent.CountDownLatch;

/**
 * A Loomstep Connect worker (app {@code conn}, {@link LoomstepConnectWorker}) in a JVM of its own, so a
 * test can kill it with SIGKILL or SIGTERM: {@code ConnectWorkerMain <devserver URL> <instance id> <slow>}
 * where {@code slow} is {@code hang} (the {@code slow} function's second step never ends) or the
 * milliseconds that step takes. Built with {@code drainOnShutdown()}; prints {@link #READY} once its
 * connection is ready and {@link #IN_SLOW_STEP} when the slow step starts.
 */
public final class ConnectWorkerMain {
    static final String READY = "connect-worker-main ready";
    static final String IN_SLOW_STEP = "connect-worker-main in slow step";

    public static void main(String[] args) throws Exception {
        var worker = LoomstepConnectWorker.start(args[0], args[1], true, b -> b.drainOnShutdown());
        if (args[2].equals("hang")) {
            worker.releaseSlow = new CountDownLatch(1); // never released: the test kills the process
        } else {
            worker.slowMillis = Long.parseLong(args[2]);
        }
        Thread.ofVirtual().start(() -> {
            try {
                worker.inSlowStep.await();
                System.out.println(IN_SLOW_STEP);
            } catch (InterruptedException ignored) {
                // exiting
            }
        });
        System.out.println(READY + " " + args[1]);
        Thread.currentThread().join();
    }
}
