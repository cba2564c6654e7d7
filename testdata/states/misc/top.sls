base:
  '*':
    - misc.tests
  'role:golden':
    - match: grain
    - misc.grain_matched
  'role:other':
    - match: grain
    - misc.not_matched
  'minion1':
    - misc.by_id
