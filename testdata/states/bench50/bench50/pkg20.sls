{# pkg.installed of 20 packages every Debian 12 system has installed. #}
bench_pkg20:
  pkg.installed:
    - pkgs:
      - apt
      - base-files
      - bash
      - bsdutils
      - coreutils
      - dash
      - debianutils
      - diffutils
      - dpkg
      - findutils
      - grep
      - gzip
      - hostname
      - login
      - mount
      - passwd
      - perl-base
      - sed
      - tar
      - util-linux
