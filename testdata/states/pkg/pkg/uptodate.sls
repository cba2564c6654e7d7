sg_uptodate:
  pkg.uptodate:
    - refresh: True
