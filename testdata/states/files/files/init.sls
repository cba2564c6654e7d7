{% set root = pillar['root'] %}
root_dir:
  file.directory:
    - name: {{ root }}

managed_source:
  file.managed:
    - name: {{ root }}/managed/source.txt
    - source: salt://srv/plain.txt
    - makedirs: True
    - mode: '0640'

managed_template:
  file.managed:
    - name: {{ root }}/managed/template.txt
    - source: salt://srv/tmpl.j2
    - template: jinja
    - context:
        greeting: hello
        who: context-who
    - defaults:
        who: default-who
        fixed: default-fixed
    - require:
      - file: managed_source

managed_contents:
  file.managed:
    - name: {{ root }}/managed/contents.txt
    - contents: |
        first line
        second line
    - require:
      - file: managed_source

managed_contents_list:
  file.managed:
    - name: {{ root }}/managed/contents_list.txt
    - contents:
      - alpha
      - beta
    - require:
      - file: managed_source

directory_deep:
  file.directory:
    - name: {{ root }}/dir/a/b
    - makedirs: True
    - mode: '0750'

absent_missing:
  file.absent:
    - name: {{ root }}/never-existed

absent_existing_setup:
  file.managed:
    - name: {{ root }}/to-remove.txt
    - contents: remove me
    - unless: test -e {{ root }}/removed.marker

absent_existing:
  file.absent:
    - name: {{ root }}/to-remove.txt
    - require:
      - file: absent_existing_setup

removed_marker:
  file.touch:
    - name: {{ root }}/removed.marker
    - require:
      - file: absent_existing

symlink:
  file.symlink:
    - name: {{ root }}/link-to-source
    - target: {{ root }}/managed/source.txt
    - require:
      - file: managed_source

copy:
  file.copy:
    - name: {{ root }}/copy.txt
    - source: {{ root }}/managed/source.txt
    - require:
      - file: managed_source

recurse:
  file.recurse:
    - name: {{ root }}/recursed
    - source: salt://srv/rdir
    - require:
      - file: root_dir

line_file:
  file.managed:
    - name: {{ root }}/edit/line.txt
    - makedirs: True
    - contents: |
        one
        two
        three

line_insert:
  file.line:
    - name: {{ root }}/edit/line.txt
    - content: inserted-after-two
    - mode: ensure
    - after: two
    - require:
      - file: line_file

replace_file:
  file.managed:
    - name: {{ root }}/edit/replace.txt
    - makedirs: True
    - contents: |
        colour=red
        size=10

replace:
  file.replace:
    - name: {{ root }}/edit/replace.txt
    - pattern: 'colour=\w+'
    - repl: colour=blue
    - require:
      - file: replace_file

append_file:
  file.managed:
    - name: {{ root }}/edit/append.txt
    - makedirs: True
    - contents: |
        existing

append:
  file.append:
    - name: {{ root }}/edit/append.txt
    - text:
      - appended one
      - appended two
    - require:
      - file: append_file

blockreplace_file:
  file.managed:
    - name: {{ root }}/edit/block.txt
    - makedirs: True
    - contents: |
        header
        # BEGIN managed
        old block
        # END managed
        footer

blockreplace:
  file.blockreplace:
    - name: {{ root }}/edit/block.txt
    - marker_start: '# BEGIN managed'
    - marker_end: '# END managed'
    - content: |
        new block line 1
        new block line 2
    - require:
      - file: blockreplace_file

blockreplace_append:
  file.blockreplace:
    - name: {{ root }}/edit/block2.txt
    - marker_start: '# BEGIN added'
    - marker_end: '# END added'
    - content: added block
    - append_if_not_found: True
    - require:
      - file: touch_new

touch_new:
  file.touch:
    - name: {{ root }}/edit/block2.txt
    - makedirs: True

exists_yes:
  file.exists:
    - name: {{ root }}/managed/source.txt
    - require:
      - file: managed_source

exists_no:
  file.exists:
    - name: {{ root }}/does-not-exist

serialize_json:
  file.serialize:
    - name: {{ root }}/ser/data.json
    - makedirs: True
    - formatter: json
    - dataset:
        b: 2
        a: [1, two, true]
        c: {nested: value}

serialize_yaml:
  file.serialize:
    - name: {{ root }}/ser/data.yaml
    - makedirs: True
    - formatter: yaml
    - dataset:
        b: 2
        a: [1, two, true]
        c: {nested: value}

managed_missing_source:
  file.managed:
    - name: {{ root }}/managed/missing.txt
    - source: salt://srv/no-such-file.txt
