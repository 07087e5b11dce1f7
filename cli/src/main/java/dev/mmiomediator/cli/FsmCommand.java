package dev.mmiomediator.cli;

import dev.mmiomediator.vfio.MigrationFlags;
import dev.mmiomediator.vfio.MigrationFsm;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.vfio.MigrationTransitionException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code mmio-mediator fsm}: the kernel's VFIO migration state machine, as a device with given flags walks it. */
@Command(name = "fsm",
        mixinStandardHelpOptions = true,
        description = {"The Linux kernel's VFIO migration state machine (migration protocol v2): the multi-step paths "
                + "vfio_mig_get_next_state() makes a device walk.",
                "States: ERROR, STOP, RUNNING, STOP_COPY, RESUMING, RUNNING_P2P, PRE_COPY, PRE_COPY_P2P. "
                        + "Flags: STOP_COPY (mandatory), P2P, PRE_COPY."},
        subcommands = {FsmCommand.Path.class, FsmCommand.Table.class})
final class FsmCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "expected a subcommand: path or table");
    }

    /** The {@code --flags} option shared by both commands. */
    static final class FlagsOption {
        @Option(names = "--flags", required = true, paramLabel = "FLAGS",
                description = "The device's migration flags, comma-separated, e.g. STOP_COPY,P2P. STOP_COPY is "
                        + "mandatory; P2P adds RUNNING_P2P, PRE_COPY adds PRE_COPY, both add PRE_COPY_P2P.")
        String flags;

        MigrationFlags parse() {
            return MigrationFlags.parse(flags);
        }
    }

    @Command(name = "path", mixinStandardHelpOptions = true,
            description = {"Print the states a device walks from one state to another, one arc at a time, e.g. "
                    + "'RUNNING -> RUNNING_P2P -> STOP -> STOP_COPY'.",
                    "A move the kernel refuses (ERROR or an unsupported state at either end, or a blocked arc such "
                            + "as STOP_COPY -> PRE_COPY) exits with code 2 and says why."})
    static final class Path implements Callable<Integer> {
        @CommandLine.Mixin
        FlagsOption flags;

        @Option(names = "--from", required = true, paramLabel = "STATE", description = "The current state.")
        String from;

        @Option(names = "--to", required = true, paramLabel = "STATE", description = "The requested state.")
        String to;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            MigrationFlags f = flags.parse();
            MigrationState cur = MigrationState.parse(from);
            MigrationState req = MigrationState.parse(to);
            spec.commandLine().getOut().println(MigrationFsm.format(MigrationFsm.path(f, cur, req)));
            return 0;
        }
    }

    @Command(name = "table", mixinStandardHelpOptions = true,
            description = {"Print the path for every (current, requested) pair of the eight states, in uapi order: "
                    + "'CUR NEW: CUR -> ... -> NEW', just 'CUR NEW: CUR' when they are equal, or "
                    + "'CUR NEW: invalid: REASON' for a move the kernel refuses."})
    static final class Table implements Callable<Integer> {
        @CommandLine.Mixin
        FlagsOption flags;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            MigrationFlags f = flags.parse();
            PrintWriter out = spec.commandLine().getOut();
            for (MigrationState cur : MigrationState.values()) {
                for (MigrationState req : MigrationState.values()) {
                    String line;
                    try {
                        line = MigrationFsm.format(MigrationFsm.path(f, cur, req));
                    } catch (MigrationTransitionException e) {
                        line = "invalid: " + e.reason();
                    }
                    out.println(cur + " " + req + ": " + line);
                }
            }
            return 0;
        }
    }
}
