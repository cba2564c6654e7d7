# Each pillar top match type, one entry that selects this minion (pgolden,
# grains role: web, tier: [gold, silver], ipv4: [127.0.0.1, 203.0.113.9]) and one that does not.
base:
  '*':
    - common
  'role:web':
    - match: grain
    - grain_yes
  'role:db':
    - match: grain
    - grain_no
  'tier:silver':
    - match: grain
    - grain_list_yes
  'role:w.b':
    - match: grain_pcre
    - grain_pcre_yes
  'role:^d':
    - match: grain_pcre
    - grain_pcre_no
  'G@role:web and pgo*':
    - match: compound
    - compound_yes
  'G@role:db or L@other,another':
    - match: compound
    - compound_no
  'G@role:web and not E@^pg':
    - match: compound
    - compound_not_no
  'G@role:web and ( L@x or E@pgold.n$ )':
    - match: compound
    - compound_paren_yes
  'G@tier:gold and pgolden':
    - default_compound_yes
  'G@tier:bronze or nobody':
    - default_compound_no
  'other,pgolden':
    - match: list
    - list_yes
  'x,y':
    - match: list
    - list_no
  '^pgo.*n$':
    - match: pcre
    - pcre_yes
  'golden':
    - match: pcre
    - pcre_no
  '203.0.113.9':
    - match: ipcidr
    - ipcidr_addr_yes
  'pg*':
    - match: glob
    - glob_yes
  'pg?':
    - match: glob
    - glob_no
  'webs':
    - match: nodegroup
    - nodegroup_yes
  'dbs':
    - match: nodegroup
    - nodegroup_no
  '203.0.113.0/24':
    - match: ipcidr
    - ipcidr_yes
  '198.51.100.0/24':
    - match: ipcidr
    - ipcidr_no
