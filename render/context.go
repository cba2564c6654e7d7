package render

import (
	"path/filepath"
	"strings"
)

// SLSContext returns the template variables Salt adds for an SLS file
// (salt.utils.templates.generate_sls_context): tplpath is the local
// (cached) path of the file, sls its dotted name. The result holds
// tplpath, tplfile, tpldir, tpldot, slspath, slsdotpath, slscolonpath and
// sls_path; "a/init.sls" gives slspath "a", a top-level file tpldir ".".
func SLSContext(tplpath, sls string) map[string]any {
	ctx := map[string]any{}
	slspath := strings.ReplaceAll(sls, ".", "/")
	if tplpath != "" {
		template := filepath.ToSlash(tplpath)
		switch {
		case sls == "":
			if i := strings.LastIndexByte(template, '/'); i >= 0 {
				template = template[i+1:]
			}
		case strings.HasSuffix(template, slspath+".sls"):
			template = template[len(template)-(4+len(slspath)):]
		case strings.HasSuffix(template, slspath+"/init.sls"):
			template = template[len(template)-(9+len(slspath)):]
		}
		slspath = ""
		if i := strings.LastIndexByte(template, '/'); i >= 0 {
			slspath = template[:i]
		}
		tpldir := slspath
		if tpldir == "" {
			tpldir = "."
		}
		ctx["tplpath"] = tplpath
		ctx["tplfile"] = template
		ctx["tpldir"] = tpldir
		ctx["tpldot"] = strings.ReplaceAll(slspath, "/", ".")
	}
	ctx["slspath"] = slspath
	ctx["slsdotpath"] = strings.ReplaceAll(slspath, "/", ".")
	ctx["slscolonpath"] = strings.ReplaceAll(slspath, "/", ":")
	ctx["sls_path"] = strings.ReplaceAll(slspath, "/", "_")
	return ctx
}
