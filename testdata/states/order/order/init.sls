include:
  - order.inc_a
  - order.inc_b

o_plain_1:
  test.succeed_without_changes: []

o_last:
  test.succeed_without_changes:
    - order: last

o_first:
  test.succeed_without_changes:
    - order: first

o_num_5:
  test.succeed_without_changes:
    - order: 5

o_num_1:
  test.succeed_without_changes:
    - order: 1

o_neg_1:
  test.succeed_without_changes:
    - order: -1

o_neg_2:
  test.succeed_without_changes:
    - order: -2

o_names:
  test.succeed_without_changes:
    - comment: shared comment
    - names:
      - name_one
      - name_two:
        - comment: per-name comment
      - name_three

o_plain_2:
  test.succeed_without_changes: []

o_short_form:
  test.succeed_without_changes

o_num_20000:
  test.succeed_without_changes:
    - order: 20000

o_required_late:
  test.succeed_without_changes:
    - require:
      - test: o_plain_3

o_plain_3:
  test.succeed_without_changes: []
