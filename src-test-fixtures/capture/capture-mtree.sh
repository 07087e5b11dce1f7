#!/usr/bin/env bash
# Capture QEMU "info mtree" dumps (tree, tree -D, flat) from several machine
# types, as test fixtures for the mtree parser.
#
# Usage: bash src-test-fixtures/capture/capture-mtree.sh [OUTDIR] [NAME...]
#   OUTDIR defaults to the fixture resource folder next to this script.
#   NAME... restricts the run to the given capture names (default: all).
#
# Needs: qemu-system-x86, qemu-system-arm, qemu-system-misc, qemu-efi-aarch64
# (Debian bookworm: QEMU 7.2), python3 (standard library only). No KVM: TCG.
#
# For each machine the script starts QEMU headless with a QMP unix socket,
# lets the guest firmware run for a few seconds (so SeaBIOS / EDK2 program
# PCI BARs), then over QMP: stop, "info mtree", "info mtree -D",
# "info mtree -f", quit. HMP output comes back with \r\n line endings; only
# "\r\n" -> "\n" is changed, the text is otherwise kept byte-exact.
# Files written: <name>.tree.txt, <name>.treeD.txt, <name>.flat.txt, and
# capture-manifest.txt (QEMU versions and exact command lines).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DEFAULT_OUT="$SCRIPT_DIR/../src/main/resources/dev/mmiomediator/fixtures/qemu-mtree"
OUTDIR=${1:-$DEFAULT_OUT}
shift || true
ONLY=("$@")
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)

QEMU_TIMEOUT=${QEMU_TIMEOUT:-120}   # hard limit for one QEMU process (s)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/capture-mtree.XXXXXX")
QEMU_PID=""
QMP_PID=""
cleanup() {
  if [[ -n "$QMP_PID" ]]; then kill "$QMP_PID" 2>/dev/null || true; fi
  if [[ -n "$QEMU_PID" ]] && kill -0 "$QEMU_PID" 2>/dev/null; then
    kill "$QEMU_PID" 2>/dev/null || true
    sleep 1
    kill -9 "$QEMU_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- QMP client
cat > "$WORK/qmp.py" <<'PY'
import json, os, socket, sys, time

sock_path, settle, outprefix = sys.argv[1], float(sys.argv[2]), sys.argv[3]
qemu_pid = int(sys.argv[4])
deadline = time.time() + 30
s = None
while True:
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sock_path)
        break
    except OSError:
        s.close()
        try:
            os.kill(qemu_pid, 0)
        except OSError:
            sys.exit("qmp: QEMU exited before its QMP socket came up")
        if time.time() > deadline:
            sys.exit("qmp: could not connect to " + sock_path)
        time.sleep(0.1)
s.settimeout(60)
f = s.makefile("rwb")

def recv():
    while True:
        line = f.readline()
        if not line:
            sys.exit("qmp: connection closed")
        msg = json.loads(line)
        if "event" in msg:
            continue
        return msg

def cmd(name, **args):
    req = {"execute": name}
    if args:
        req["arguments"] = args
    f.write(json.dumps(req).encode() + b"\n")
    f.flush()
    resp = recv()
    if "error" in resp:
        sys.exit("qmp: %s failed: %s" % (name, resp["error"]))
    return resp["return"]

greeting = recv()
assert "QMP" in greeting, greeting
cmd("qmp_capabilities")
st = cmd("query-status")
print("  status at start: %s, letting firmware run %.0f s" % (st["status"], settle))
time.sleep(settle)
cmd("stop")
for suffix, hmp in (("tree", "info mtree"), ("treeD", "info mtree -D"),
                    ("flat", "info mtree -f")):
    text = cmd("human-monitor-command", **{"command-line": hmp})
    text = text.replace("\r\n", "\n")
    with open("%s.%s.txt" % (outprefix, suffix), "w", encoding="utf-8",
              newline="") as out:
        out.write(text)
try:
    cmd("quit")
except SystemExit:
    pass  # QEMU may close the socket before answering
PY

# ---------------------------------------------------------------- machines
# Each entry: name|settle-seconds|qemu binary|arguments (one string, split on
# whitespace; no argument contains spaces).
BASE="-display none -serial none -monitor none -parallel none -accel tcg"
COMMON="$BASE -m 512"
EDK2_AA64=/usr/share/qemu-efi-aarch64/QEMU_EFI.fd     # qemu-efi-aarch64
OVMF_CODE=/usr/share/OVMF/OVMF_CODE.fd                   # ovmf
OVMF_VARS=/usr/share/OVMF/OVMF_VARS.fd                   # ovmf (copied)
UBOOT_RV64=/usr/lib/u-boot/qemu-riscv64_smode/uboot.elf  # u-boot-qemu
MACHINES=(
  "x86-pc|4|qemu-system-x86_64|-M pc $COMMON -nic user,model=e1000,restrict=on"
  "x86-q35-bare|4|qemu-system-x86_64|-M q35 $COMMON -vga none -nodefaults"
  "x86-q35-devices|5|qemu-system-x86_64|-M q35,nvdimm=on $BASE -m 512,slots=2,maxmem=2G -vga std
     -device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1
     -device pcie-root-port,id=rp2,bus=pcie.0,chassis=2,slot=2
     -device pcie-root-port,id=rp3,bus=pcie.0,chassis=3,slot=3
     -device pcie-root-port,id=rp4,bus=pcie.0,chassis=4,slot=4
     -device pcie-pci-bridge,id=pcb1,bus=rp4
     -device pci-bridge,id=pb1,bus=pcb1,chassis_nr=5,addr=0x1
     -netdev user,id=n0,restrict=on
     -device virtio-net-pci,netdev=n0,bus=rp1
     -device e1000e,netdev=n1,bus=rp2
     -netdev user,id=n1,restrict=on
     -device qemu-xhci,id=xhci0,bus=rp3
     -device usb-tablet,bus=xhci0.0
     -device virtio-scsi-pci,id=scsi0,bus=pcb1,addr=0x2
     -drive if=none,id=d0,driver=null-co,size=64M
     -device nvme,drive=d0,serial=nvme0,bus=pcie.0
     -audiodev none,id=a0
     -device ich9-intel-hda,id=hda0,bus=pb1,addr=0x3
     -device hda-duplex,bus=hda0.0,audiodev=a0
     -device bochs-display,bus=pb1,addr=0x4
     -object memory-backend-ram,id=dimm0mem,size=128M
     -device pc-dimm,id=dimm0,memdev=dimm0mem
     -object memory-backend-ram,id=nv0mem,size=128M
     -device nvdimm,id=nv0,memdev=nv0mem"
  "x86-microvm|2|qemu-system-x86_64|-M microvm $COMMON -nodefaults
     -device virtio-rng-device -device virtio-net-device,netdev=n0
     -netdev user,id=n0,restrict=on"
  "aarch64-virt|15|qemu-system-aarch64|-M virt -cpu cortex-a57 $COMMON
     -bios $EDK2_AA64
     -device pcie-root-port,id=rp1,bus=pcie.0,chassis=1
     -device pcie-root-port,id=rp2,bus=pcie.0,chassis=2
     -netdev user,id=n0,restrict=on
     -device virtio-net-pci,netdev=n0,bus=rp1
     -device qemu-xhci,bus=rp2
     -device virtio-gpu-pci,bus=pcie.0
     -device ramfb"
  "riscv64-virt|4|qemu-system-riscv64|-M virt $COMMON
     -device pcie-root-port,id=rp1,bus=pcie.0,chassis=1
     -netdev user,id=n0,restrict=on
     -device virtio-net-pci,netdev=n0,bus=rp1"
  "x86-q35-ovmf|20|qemu-system-x86_64|-M q35 $COMMON -vga std
     -drive if=pflash,format=raw,readonly=on,file=$OVMF_CODE
     -drive if=pflash,format=raw,file=@WORK@/OVMF_VARS.fd
     -device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1
     -device pcie-root-port,id=rp2,bus=pcie.0,chassis=2,slot=2
     -netdev user,id=n0,restrict=on
     -device virtio-net-pci,netdev=n0,bus=rp1
     -drive if=none,id=d0,driver=null-co,size=64M
     -device nvme,drive=d0,serial=nvme0,bus=rp2"
  "x86-q35-iommu|5|qemu-system-x86_64|-M q35 $COMMON -vga none -nodefaults
     -device intel-iommu
     -device pcie-root-port,id=rp1,bus=pcie.0,chassis=1
     -netdev user,id=n0,restrict=on
     -device virtio-net-pci,netdev=n0,bus=rp1,iommu_platform=on,disable-legacy=on"
  "riscv64-virt-uboot|8|qemu-system-riscv64|-M virt $COMMON
     -kernel $UBOOT_RV64
     -device pcie-root-port,id=rp1,bus=pcie.0,chassis=1
     -netdev user,id=n0,restrict=on
     -device virtio-net-pci,netdev=n0,bus=rp1"
)

MANIFEST="$OUTDIR/capture-manifest.txt"
TMP_MANIFEST="$WORK/manifest"
: > "$TMP_MANIFEST"
failed=()

wanted() {
  [[ ${#ONLY[@]} -eq 0 ]] && return 0
  local n; for n in "${ONLY[@]}"; do [[ $n == "$1" ]] && return 0; done
  return 1
}

for entry in "${MACHINES[@]}"; do
  IFS='|' read -r name settle bin args <<<"$(tr '\n' ' ' <<<"$entry")"
  wanted "$name" || continue
  args=${args//@WORK@/$WORK}
  read -r -a argv <<<"$args"
  if [[ $name == x86-q35-ovmf ]]; then cp "$OVMF_VARS" "$WORK/OVMF_VARS.fd"; fi
  sock="$WORK/$name.qmp"
  argv+=(-qmp "unix:$sock,server=on,wait=off")
  version=$("$bin" --version | head -n1)
  echo "== $name ($version)"
  echo "   $bin ${argv[*]}"
  rm -f "$sock" "$WORK/$name".*.txt
  timeout -k 5 "$QEMU_TIMEOUT" "$bin" "${argv[@]}" \
      >"$WORK/$name.stdout" 2>"$WORK/$name.stderr" &
  QEMU_PID=$!
  ok=1
  # QMP client in the background + wait, so that INT/TERM are handled at once
  timeout -k 5 $(( ${settle%.*} + 90 )) \
      python3 "$WORK/qmp.py" "$sock" "$settle" "$WORK/$name" "$QEMU_PID" &
  QMP_PID=$!
  wait "$QMP_PID" || ok=0
  QMP_PID=""
  # wait for QEMU to exit after "quit" (or kill it)
  for _ in $(seq 1 50); do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$QEMU_PID" 2>/dev/null; then
    kill "$QEMU_PID" 2>/dev/null || true
    sleep 1; kill -9 "$QEMU_PID" 2>/dev/null || true
  fi
  wait "$QEMU_PID" 2>/dev/null || true
  QEMU_PID=""
  rm -f "$sock"
  if [[ -s "$WORK/$name.stderr" ]]; then
    sed 's/^/   qemu: /' "$WORK/$name.stderr"
  fi
  for s in tree treeD flat; do
    if [[ ! -s "$WORK/$name.$s.txt" ]] || [[ $(wc -l <"$WORK/$name.$s.txt") -lt 5 ]]; then
      ok=0
    fi
  done
  if [[ $ok -eq 1 ]]; then
    for s in tree treeD flat; do mv "$WORK/$name.$s.txt" "$OUTDIR/$name.$s.txt"; done
    printf '%s\n  version: %s\n  firmware run: %s s\n  command: %s %s\n\n' \
      "$name" "$version" "$settle" "$bin" \
      "$(sed -e "s#unix:$WORK/$name.qmp#unix:SOCK#" -e "s#$WORK/#TMPDIR/#g" <<<"${argv[*]}")" >>"$TMP_MANIFEST"
    echo "   ok: $(wc -l <"$OUTDIR/$name.tree.txt") / $(wc -l <"$OUTDIR/$name.treeD.txt") / $(wc -l <"$OUTDIR/$name.flat.txt") lines (tree/treeD/flat)"
  else
    echo "   FAILED: $name"
    failed+=("$name")
  fi
done

# Merge into the manifest: entries of machines captured now replace older ones.
python3 - "$MANIFEST" "$TMP_MANIFEST" <<'PY'
import os, sys
path, new = sys.argv[1], sys.argv[2]
def blocks(p):
    out = {}
    if os.path.exists(p):
        for b in open(p).read().split("\n\n"):
            b = b.strip("\n")
            if b and not b.startswith("#"):
                out[b.split("\n", 1)[0]] = b
    return out
merged = blocks(path)
merged.update(blocks(new))
with open(path, "w") as f:
    f.write("# Written by capture-mtree.sh: QEMU version, seconds of firmware run\n"
            "# and exact command line of each capture (SOCK/TMPDIR: per-run temp paths).\n\n")
    for name in sorted(merged):
        f.write(merged[name] + "\n\n")
PY

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "failed captures: ${failed[*]}" >&2
  exit 1
fi
echo "all captures written to $OUTDIR"
