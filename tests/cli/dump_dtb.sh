#!/usr/bin/env bash
# dump_dtb.sh GLASSVM KERNEL OUTDIR
# --dump-dtb writes the device tree the guest would get, and dtc reads it back with the
# command line and the initrd in /chosen. Without dtc: a skip (77), or a failure under CI=true.
set -u
gv=$1 kernel=$2 dir=$3
if ! command -v dtc >/dev/null; then
  echo "dtc (package device-tree-compiler) is not installed"
  [ "${CI:-}" = true ] && exit 1
  exit 77
fi
mkdir -p "$dir"
head -c 1000 /dev/zero >"$dir/initrd.img"
rm -f "$dir/virt.dtb"
"$gv" -m 256M -kernel "$kernel" -initrd "$dir/initrd.img" -append "console=ttyS0 quiet" \
  --dump-dtb "$dir/virt.dtb" </dev/null || { echo "glassvm exited with $?"; exit 1; }
dts=$(dtc -I dtb -O dts "$dir/virt.dtb" 2>&1) || { echo "dtc failed: $dts"; exit 1; }
# 256 MiB: the initrd goes 128 MiB after the kernel at 0x80200000.
for want in 'bootargs = "console=ttyS0 quiet";' 'linux,initrd-start = <0x00 0x88200000>;' \
  'linux,initrd-end = <0x00 0x882003e8>;' 'stdout-path = "/soc/serial@10000000";' \
  'reg = <0x00 0x80000000 0x00 0x10000000>;'; do
  if ! grep -qF -- "$want" <<<"$dts"; then
    printf 'missing %s in\n%s\n' "$want" "$dts"
    exit 1
  fi
done
echo "ok: the dumped device tree reads back with dtc"
