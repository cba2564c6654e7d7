include:
  - .sub
  - base: inc.envform
  - inc.deeper.leaf
  - inc.glob*

extend:
  sub_state:
    test.succeed_without_changes:
      - comment: extended comment
  leaf_state:
    test.succeed_without_changes:
      - require:
        - test: envform_state

exclude:
  - id: excluded_by_id
  - sls: inc.excluded

inc_main:
  test.succeed_without_changes: []

excluded_by_id:
  test.succeed_without_changes: []
