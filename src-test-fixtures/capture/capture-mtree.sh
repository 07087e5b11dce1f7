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
# optional: a qtest socket and register writes ("writel ADDR VAL;..."), done
# after the firmware run, the way a guest driver would program the device
qtest_path = sys.argv[5] if len(sys.argv) > 6 else None
pokes = [c.strip() for c in sys.argv[6].split(";") if c.strip()] if qtest_path else []
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
if pokes:
    q = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    q.connect(qtest_path)
    q.settimeout(30)
    qf = q.makefile("rwb")
    for c in pokes:
        qf.write(c.encode() + b"\n")
        qf.flush()
        answer = qf.readline().decode().strip()
        if answer != "OK":
            sys.exit("qtest: %s failed: %s" % (c, answer))
        print("  qtest: %s" % c)
    q.close()
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
UBOOT_AA64=/usr/lib/u-boot/qemu_arm64/u-boot.bin        # u-boot-qemu
UBOOT_ARM=/usr/lib/u-boot/qemu_arm/u-boot.bin            # u-boot-qemu
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
  "x86-pc-isa|4|qemu-system-x86_64|-M pc -smp 2 $COMMON -nic none -vga cirrus
     -chardev null,id=dbg -device isa-debugcon,chardev=dbg,iobase=0x402
     -audiodev none,id=a0
     -device sb16,audiodev=a0 -device adlib,audiodev=a0
     -device cs4231a,audiodev=a0 -device gus,audiodev=a0
     -netdev user,id=n0,restrict=on
     -device ne2k_isa,netdev=n0,iobase=0x300,irq=10
     -device isa-ide,iobase=0x1e8,iobase2=0x3ee,irq=11
     -chardev null,id=s0 -device isa-serial,chardev=s0
     -chardev null,id=p0 -device isa-parallel,chardev=p0
     -device pvpanic -device pc-testdev -device hyperv-testdev
     -device ipmi-bmc-sim,id=bmc0 -device isa-ipmi-kcs,bmc=bmc0
     -device ipmi-bmc-sim,id=bmc1 -device isa-ipmi-bt,bmc=bmc1
     -device piix3-usb-uhci
     -device AC97,audiodev=a0 -device ES1370,audiodev=a0"
  "x86-pc-qxl|4|qemu-system-x86_64|-M pc $BASE -m 512,slots=1,maxmem=1G -nic none
     -vga qxl -device qxl"
  "x86-pc-displays|4|qemu-system-x86_64|-M pc $COMMON -nic none -vga none
     -device VGA -device secondary-vga -device ati-vga -device vmware-svga
     -device virtio-vga"
  "x86-pc-pxb|4|qemu-system-x86_64|-M pc $COMMON -nic none -vga std
     -device pxb,id=pxb1,bus_nr=0x40
     -device pci-bridge,id=pb1,bus=pxb1,chassis_nr=1,addr=0x1
     -netdev user,id=n0,restrict=on
     -device rtl8139,netdev=n0,bus=pb1,addr=0x2
     -netdev user,id=n1,restrict=on
     -device e1000,netdev=n1,bus=pxb1,addr=0x3"
  "x86-q35-storage|6|qemu-system-x86_64|-M q35 $COMMON -vga none -nodefaults
     -device ich9-usb-ehci1,id=ehci
     -device ich9-usb-uhci1,masterbus=ehci.0,firstport=0
     -device ich9-usb-uhci2,masterbus=ehci.0,firstport=2
     -device usb-ehci -device pci-ohci -device nec-usb-xhci
     -device ide-cd,bus=ide.2 -device ich9-ahci,id=ahci1
     -device lsi53c895a,id=lsi0 -device scsi-cd,bus=lsi0.0
     -device megasas -device megasas-gen2 -device mptsas1068
     -device pvscsi -device am53c974 -device sdhci-pci
     -drive if=none,id=d1,driver=null-co,size=64M
     -device virtio-blk-pci,drive=d1"
  "x86-q35-misc|6|qemu-system-x86_64|-M q35 $BASE -m 512,slots=2,maxmem=2G -vga none -nodefaults
     -netdev user,id=n0,restrict=on -device rtl8139,netdev=n0
     -netdev user,id=n1,restrict=on -device e1000,netdev=n1
     -netdev user,id=n2,restrict=on -device vmxnet3,netdev=n2
     -netdev user,id=n3,restrict=on -device ne2k_pci,netdev=n3
     -netdev user,id=n4,restrict=on -device pcnet,netdev=n4
     -netdev user,id=n5,restrict=on -device i82559er,netdev=n5
     -netdev user,id=n6,restrict=on -device tulip,netdev=n6
     -device virtio-balloon-pci -device virtio-serial-pci -device virtio-rng-pci
     -device virtio-keyboard-pci -device pvpanic-pci -device i6300esb
     -object memory-backend-ram,id=shm0,size=4M,share=on
     -device ivshmem-plain,memdev=shm0
     -device edu -device pci-testdev
     -chardev null,id=c1 -chardev null,id=c2 -chardev null,id=c3 -chardev null,id=c4
     -device pci-serial-4x,chardev1=c1,chardev2=c2,chardev3=c3,chardev4=c4
     -device ipmi-bmc-sim,id=bmc0 -device pci-ipmi-kcs,bmc=bmc0
     -object cryptodev-backend-builtin,id=cr0 -device virtio-crypto-pci,cryptodev=cr0
     -object can-bus,id=can0 -device kvaser_pci,canbus=can0
     -audiodev none,id=a0 -device intel-hda -device hda-output,audiodev=a0
     -object memory-backend-ram,id=vm0,size=128M
     -device virtio-mem-pci,memdev=vm0,requested-size=0
     -object memory-backend-ram,id=pm0,size=64M
     -device virtio-pmem-pci,memdev=pm0"
  "x86-q35-switch|6|qemu-system-x86_64|-M q35 $COMMON -vga none -nodefaults
     -device amd-iommu
     -device pxb-pcie,id=pxb1,bus_nr=0x80,bus=pcie.0
     -device pcie-root-port,id=prp1,bus=pxb1,chassis=10
     -netdev user,id=n0,restrict=on
     -device virtio-net-pci,netdev=n0,bus=prp1
     -device ioh3420,id=rp1,bus=pcie.0,chassis=1,slot=1
     -device x3130-upstream,id=up1,bus=rp1
     -device xio3130-downstream,id=dn1,bus=up1,chassis=2,slot=0
     -device xio3130-downstream,id=dn2,bus=up1,chassis=3,slot=1
     -drive if=none,id=d0,driver=null-co,size=64M
     -device nvme,drive=d0,serial=nvme0,bus=dn1
     -device pcie-root-port,id=rp2,bus=pcie.0,chassis=4,slot=2
     -device pcie-pci-bridge,id=pcb,bus=rp2
     -netdev user,id=n1,restrict=on
     -device e1000,netdev=n1,bus=pcb,addr=0x1"
  "x86-microvm-pcie|2|qemu-system-x86_64|-M microvm,pcie=on,rtc=on $COMMON -nodefaults
     -netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0
     -drive if=none,id=d0,driver=null-co,size=64M -device virtio-blk-pci,drive=d0
     -device virtio-rng-device"
  "aarch64-virt-devices|15|qemu-system-aarch64|-M virt,highmem=off,gic-version=3,iommu=smmuv3
     -cpu cortex-a57 $COMMON -bios $EDK2_AA64
     -device pcie-root-port,id=rp1,bus=pcie.0,chassis=1
     -device pcie-pci-bridge,id=pcb,bus=rp1
     -netdev user,id=n1,restrict=on
     -device e1000,netdev=n1,bus=pcb,addr=0x1
     -device bochs-display,bus=pcie.0 -device VGA,bus=pcie.0
     -device virtio-rng-device
     -drive if=none,id=d0,driver=null-co,size=64M -device virtio-blk-device,drive=d0
     -netdev user,id=n0,restrict=on -device virtio-net-device,netdev=n0
     -device virtio-balloon-device"
  "aarch64-virt-secure|2|qemu-system-aarch64|-M virt,secure=on,virtualization=on,mte=on,gic-version=3
     -cpu max $BASE -m 512,slots=1,maxmem=1G
     -netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0"
  "aarch64-virt-uboot|6|qemu-system-aarch64|-M virt -cpu cortex-a57 $COMMON
     -bios $UBOOT_AA64
     -device virtio-iommu-pci
     -drive if=none,id=d0,driver=null-co,size=64M
     -device nvme,drive=d0,serial=nvme0
     -netdev user,id=n0,restrict=on -device rtl8139,netdev=n0
     -device ich9-ahci -device usb-ehci -device sdhci-pci"
  "arm-virt-uboot|6|qemu-system-arm|-M virt $COMMON -bios $UBOOT_ARM
     -netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0
     -device lsi53c895a -device megasas -device i6300esb"
  "aarch64-raspi3b|2|qemu-system-aarch64|-M raspi3b $BASE -m 1G -nic none"
  "aarch64-sbsa-ref|2|qemu-system-aarch64|-M sbsa-ref $COMMON -nic user,restrict=on"
  "riscv64-virt-uboot-pci|8|qemu-system-riscv64|-M virt,aia=aplic-imsic,aclint=on $COMMON
     -kernel $UBOOT_RV64
     -netdev user,id=n0,restrict=on -device e1000e,netdev=n0
     -device qemu-xhci -device bochs-display -device ich9-ahci
     -device pci-bridge,chassis_nr=1,id=pb
     -netdev user,id=n1,restrict=on -device rtl8139,netdev=n1,bus=pb,addr=0x1"
  "riscv64-sifive-u|2|qemu-system-riscv64|-M sifive_u $COMMON -nic user,restrict=on"
  "x86-q35-iommu-dmar|4|qemu-system-x86_64|-M q35 $COMMON -vga none -nodefaults
     -device intel-iommu
     -netdev user,id=n0,restrict=on -device e1000,netdev=n0"
  "x86-q35-cxl|5|qemu-system-x86_64|-M q35,cxl=on,cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G
     $BASE -m 512,slots=2,maxmem=2G -vga none -nodefaults
     -object memory-backend-ram,id=cxl-mem1,size=256M
     -object memory-backend-ram,id=cxl-lsa1,size=256M
     -device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1
     -device cxl-rp,port=0,bus=cxl.1,id=rp13,chassis=0,slot=2
     -device cxl-type3,bus=rp13,memdev=cxl-mem1,lsa=cxl-lsa1,id=cxl-pmem0"
  "x86-isapc|2|qemu-system-i386|-M isapc $COMMON -nic none"
  "arm-vexpress-a9|2|qemu-system-arm|-M vexpress-a9 $COMMON -audiodev none,id=a0
     -nic user,restrict=on"
  "aarch64-xlnx-zcu102|2|qemu-system-aarch64|-M xlnx-zcu102 $BASE -m 1G -audiodev none,id=a0
     -nic user,restrict=on"
  "arm-ast2600-evb|2|qemu-system-arm|-M ast2600-evb $BASE -nic user,restrict=on"
  "arm-npcm750-evb|2|qemu-system-arm|-M npcm750-evb $BASE -nic user,restrict=on"
  "arm-mcimx7d-sabre|2|qemu-system-arm|-M mcimx7d-sabre $COMMON -nic user,restrict=on"
)

# Register writes done over a qtest socket after the firmware run (only for
# the machines listed here; "CMD;CMD;..." in qtest syntax, each must answer OK).
declare -A POKES=(
  # VT-d: root table address, then GCMD.SRTP and GCMD.TE: DMA remapping on,
  # so the per-device "vtd-BB.D-dmar" IOMMU regions are enabled
  [x86-q35-iommu-dmar]="writeq 0xfed90020 0x100000;writel 0xfed90018 0x40000000;writel 0xfed90018 0x80000000"
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
  poke=()
  if [[ -n "${POKES[$name]:-}" ]]; then
    argv+=(-qtest "unix:$WORK/$name.qtest,server=on,wait=off" -qtest-log none)
    poke=("$WORK/$name.qtest" "${POKES[$name]}")
  fi
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
      python3 "$WORK/qmp.py" "$sock" "$settle" "$WORK/$name" "$QEMU_PID" "${poke[@]}" &
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
    printf '%s\n  version: %s\n  firmware run: %s s\n  command: %s %s\n' \
      "$name" "$version" "$settle" "$bin" \
      "$(sed -e "s#unix:$WORK/$name.qmp#unix:SOCK#" -e "s#$WORK/#TMPDIR/#g" <<<"${argv[*]}")" >>"$TMP_MANIFEST"
    if [[ ${#poke[@]} -gt 0 ]]; then
      printf '  qtest writes after the firmware run: %s\n' "${poke[1]}" >>"$TMP_MANIFEST"
    fi
    echo >>"$TMP_MANIFEST"
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
