package dev.mmiomediator.trace;

import dev.mmiomediator.dma.P2pAccess;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.vfio.MigrationState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;

/** {@link TraceListener#guarded}: forwards every call, and logs and ignores what it throws. */
final class GuardedListener implements TraceListener {
    private static final Logger LOG = LoggerFactory.getLogger(GuardedListener.class);

    private final TraceListener to;

    GuardedListener(TraceListener to) {
        this.to = to;
    }

    private void call(String event, Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.debug("trace listener {} failed on {}; ignored", to, event, e);
        }
    }

    @Override
    public void migrationStarted(String side, String vm, Map<PciAddress, MigrationState> devices) {
        call("migrationStarted", () -> to.migrationStarted(side, vm, devices));
    }

    @Override
    public void transitioned(PciAddress device, List<MigrationState> path, long nanos) {
        call("transitioned", () -> to.transitioned(device, path, nanos));
    }

    @Override
    public void p2pAccess(P2pAccess access, MigrationState targetState, String decision, int result) {
        call("p2pAccess", () -> to.p2pAccess(access, targetState, decision, result));
    }

    @Override
    public void abortRequested(String reason) {
        call("abortRequested", () -> to.abortRequested(reason));
    }

    @Override
    public void replayed(PciAddress device, int writes) {
        call("replayed", () -> to.replayed(device, writes));
    }

    @Override
    public void carried(PciAddress device, int writes) {
        call("carried", () -> to.carried(device, writes));
    }

    @Override
    public void phaseChanged(String phase) {
        call("phaseChanged", () -> to.phaseChanged(phase));
    }

    @Override
    public void vmStopped() {
        call("vmStopped", to::vmStopped);
    }

    @Override
    public void vmResumed() {
        call("vmResumed", to::vmResumed);
    }

    @Override
    public void stream(boolean sent, long bytes, Map<String, Integer> sections, long nanos) {
        call("stream", () -> to.stream(sent, bytes, sections, nanos));
    }

    @Override
    public void downtime(long nanos) {
        call("downtime", () -> to.downtime(nanos));
    }

    @Override
    public void cancelled(String reason) {
        call("cancelled", () -> to.cancelled(reason));
    }

    @Override
    public void migrationEnded(String outcome, String reason) {
        call("migrationEnded", () -> to.migrationEnded(outcome, reason));
    }

    @Override
    public String toString() {
        return to.toString();
    }
}
