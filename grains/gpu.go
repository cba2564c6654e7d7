package grains

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"

	"github.com/saltgo/saltgo/data"
)

var gpuVendors = map[string]string{
	"10de": "nvidia", "1002": "amd", "1022": "amd", "8086": "intel", "1013": "cirrus logic",
	"15ad": "vmware", "102b": "matrox", "1a03": "aspeed",
}

// gpuData lists display controllers from /sys/bus/pci/devices (what
// `lspci -vmm` reports as VGA/3D/display controllers or processing
// accelerators). The model comes from pci.ids when present. It returns nil
// when the PCI bus is not visible (Salt gives no GPU grains without lspci).
func gpuData(e *Env) []any {
	dirs, err := filepath.Glob(e.Path("/sys/bus/pci/devices/*"))
	if err != nil || len(dirs) == 0 {
		return nil
	}
	gpus := []any{}
	for _, d := range dirs {
		class := readTrim(filepath.Join(d, "class"))
		if !(strings.HasPrefix(class, "0x0300") || strings.HasPrefix(class, "0x0302") ||
			strings.HasPrefix(class, "0x0380") || strings.HasPrefix(class, "0x1200")) {
			continue
		}
		ven := strings.TrimPrefix(readTrim(filepath.Join(d, "vendor")), "0x")
		dev := strings.TrimPrefix(readTrim(filepath.Join(d, "device")), "0x")
		vendor, ok := gpuVendors[ven]
		if !ok {
			vendor = "unknown"
		}
		gpus = append(gpus, data.M("vendor", vendor, "model", pciDeviceName(e, ven, dev)))
	}
	return gpus
}

func readTrim(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// pciDeviceName looks a device up in pci.ids ("Device xxxx" if absent).
func pciDeviceName(e *Env, ven, dev string) string {
	for _, p := range []string{"/usr/share/misc/pci.ids", "/usr/share/hwdata/pci.ids"} {
		f, err := os.Open(e.Path(p))
		if err != nil {
			continue
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		inVendor := false
		for sc.Scan() {
			line := sc.Text()
			if line == "" || line[0] == '#' {
				continue
			}
			if line[0] != '\t' {
				if inVendor {
					break
				}
				inVendor = strings.HasPrefix(line, ven+" ")
				continue
			}
			if inVendor && strings.HasPrefix(line, "\t"+dev+" ") {
				return strings.TrimSpace(line[len(dev)+1:])
			}
		}
	}
	return "Device " + dev
}
