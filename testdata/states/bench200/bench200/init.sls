# bench200: 200 states for the side-by-side benchmark (docs/bench.md).
# 50 directories, 60 files from salt://, 40 Jinja templates, 20 files from
# contents, 30 cmd.run guarded by unless. Everything is written below the
# pillar value root.
include:
  - .dirs
  - .files
  - .templates
  - .contents
  - .cmds
