{% set root = pillar['root'] %}
root_dir:
  file.directory:
    - name: {{ root }}

run_plain:
  cmd.run:
    - name: echo hello

run_unless_true:
  cmd.run:
    - name: echo never-runs
    - unless: 'true'

run_unless_false:
  cmd.run:
    - name: echo unless-false-runs
    - unless: 'false'

run_onlyif_false:
  cmd.run:
    - name: echo never-runs-onlyif
    - onlyif: 'false'

run_onlyif_true:
  cmd.run:
    - name: echo onlyif-true-runs
    - onlyif: 'true'

run_onlyif_list:
  cmd.run:
    - name: echo onlyif-list
    - onlyif:
      - 'true'
      - 'false'

run_creates:
  cmd.run:
    - name: touch {{ root }}/created
    - creates: {{ root }}/created
    - require:
      - file: root_dir

run_fail:
  cmd.run:
    - name: echo to-stdout; echo to-stderr >&2; exit 3

run_env_cwd:
  cmd.run:
    - name: echo "$GOLDEN_VAR" && pwd
    - cwd: /
    - env:
      - GOLDEN_VAR: golden-value

run_stdin:
  cmd.run:
    - name: cat
    - stdin: from-stdin

wait_trigger:
  cmd.run:
    - name: echo trigger

wait_fired:
  cmd.wait:
    - name: echo waited
    - watch:
      - cmd: wait_trigger

wait_alone:
  cmd.wait:
    - name: echo wait-alone

script:
  cmd.script:
    - name: salt://srv/script.sh
    - args: one "two words"

script_with_source:
  cmd.script:
    - name: golden-script-by-source
    - source: salt://srv/script.sh
    - args: three

cwd_missing:
  cmd.run:
    - name: echo cwd-missing
    - cwd: /nonexistent/golden/dir

after_fail_require:
  cmd.run:
    - name: echo requires-failed
    - require:
      - cmd: run_fail
