package dev.mmiomediator.dma;

import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.memory.Size;

import java.util.Arrays;
import java.util.Objects;

/**
 * One piece of a non-vCPU access that hit a P2P section: everything a policy needs to decide.
 *
 * <p><b>Valid during {@link P2pHandler#handle} only.</b> A {@link DmaPort} hands its handler the same access object,
 * and the same data array, for each of its P2P pieces, refilled (so the slow path allocates nothing per access); a
 * handler that keeps an access, or its bytes, past the call keeps a {@link #copy()}. An access made with the public
 * constructor is the caller's and never changes.
 *
 * <p><b>The handler's slot.</b> A port's access also carries one {@link #handlerSlot() slot} that the port never
 * reads or writes: the handler's per-port cache (the policy engine keeps there what it looked up for the port's
 * last targets, and the port's own counter cells). Since a port's access is used by the port's thread only, what a
 * handler keeps there is touched by one thread at a time, and lives as long as the port. An access made with the
 * public constructor has no slot: {@link #hasHandlerSlot()} is false and {@link #handlerSlot()} null (such an
 * access may be handed to a handler by several threads at once).
 *
 * <p><b>Note:</b> not thread-safe while a port refills it; a port's access is used by the port's thread only.
 */
public final class P2pAccess {
    private Initiator initiator;
    private PassthroughBar bar;
    private long barOffset;
    private int length;
    private boolean write;
    private byte[] data;
    /** Whether this is a port's reused access, which has a {@link #handlerSlot}. */
    private final boolean slotted;
    private Object handlerSlot;

    /**
     * An access.
     *
     * @param initiator who made it
     * @param bar       the BAR it hits: the passthrough device ({@code bar.device()}) and the BAR index
     *                  ({@code bar.bar()})
     * @param barOffset where in the BAR the piece starts
     * @param length    its length in bytes
     * @param write     whether it is a write (posted) or a read (non-posted)
     * @param data      for a write, the bytes to write; for a read, where the handler puts the bytes read: the
     *                  first {@code length} bytes (the array may be longer)
     * @throws IllegalArgumentException naming the values if {@code data} holds fewer than {@code length} bytes
     */
    public P2pAccess(Initiator initiator, PassthroughBar bar, long barOffset, int length, boolean write, byte[] data) {
        this.initiator = Objects.requireNonNull(initiator, "initiator");
        this.bar = Objects.requireNonNull(bar, "bar");
        Objects.requireNonNull(data, "data");
        if (length < 0 || length > data.length) {
            throw new IllegalArgumentException("P2P access of " + length + " bytes: expected 0 to the "
                    + data.length + " bytes of its data array");
        }
        this.barOffset = barOffset;
        this.length = length;
        this.write = write;
        this.data = data;
        this.slotted = false;
    }

    /** A port's reusable access: {@link #set} fills it before each piece. */
    P2pAccess(Initiator initiator) {
        this.initiator = initiator;
        this.slotted = true;
    }

    /** Refills this port's access for one piece; {@code data} holds at least {@code length} bytes. */
    void set(PassthroughBar bar, long barOffset, int length, boolean write, byte[] data) {
        this.bar = bar;
        this.barOffset = barOffset;
        this.length = length;
        this.write = write;
        this.data = data;
    }

    /** Who made it. */
    public Initiator initiator() {
        return initiator;
    }

    /** The BAR it hits: the passthrough device ({@code bar.device()}) and the BAR index ({@code bar.bar()}). */
    public PassthroughBar bar() {
        return bar;
    }

    /** Where in the BAR the piece starts. */
    public long barOffset() {
        return barOffset;
    }

    /** Its length in bytes. */
    public int length() {
        return length;
    }

    /** Whether it is a write (posted) or a read (non-posted). */
    public boolean write() {
        return write;
    }

    /**
     * For a write, the bytes to write; for a read, where the handler puts the bytes read: the first
     * {@link #length()} bytes, from index 0 (the array may be longer; a port's array is reused).
     */
    public byte[] data() {
        return data;
    }

    /** Whether the access is posted (a write: needs no completion). */
    public boolean posted() {
        return write;
    }

    /**
     * Whether this access has a handler slot: true for a port's reused access (one per port, used by the port's
     * thread only), false for one made with the public constructor.
     */
    public boolean hasHandlerSlot() {
        return slotted;
    }

    /**
     * The handler's per-port cache: what the handler last stored with {@link #handlerSlot(Object)} on this port's
     * access, or null (always null without a {@link #hasHandlerSlot() slot}). The port itself never uses it. A
     * handler must check that what it finds is its own (a mediator's handler can be replaced, and a handler may
     * delegate to another).
     */
    public Object handlerSlot() {
        return handlerSlot;
    }

    /**
     * Stores {@code value} in the handler's per-port cache (see {@link #handlerSlot()}); it lives as long as the
     * port, so keep it small and let it refer to nothing that must be freed earlier.
     *
     * @throws IllegalStateException if this access has no slot (it was made with the public constructor)
     */
    public void handlerSlot(Object value) {
        if (!slotted) {
            throw new IllegalStateException("P2P access " + this + " was made with the public constructor and has no "
                    + "handler slot; only a port's reused access has one");
        }
        this.handlerSlot = value;
    }

    /**
     * An independent copy, with a data array of exactly {@link #length()} bytes and no handler slot: what a handler
     * keeps.
     */
    public P2pAccess copy() {
        return new P2pAccess(initiator, bar, barOffset, length, write, Arrays.copyOf(data, length));
    }

    @Override
    public String toString() {
        return (write ? "write " : "read ") + bar + "+" + Size.hex(barOffset) + "/" + length + " by " + initiator;
    }
}
