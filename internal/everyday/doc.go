// Package everyday holds the in-container golden suite of issue 13: the
// state trees testdata/states/{pkg,accounts,host,grains,modrun,formulas}
// applied by the saltgo binary (`saltgo call --local`) inside a fresh
// Debian container (lxc/lxctest.NewDebian), compared with what a real
// Python Salt 3007.14 salt-call returned for the same trees in the same
// kind of container (testdata/states/README.md says how those goldens were
// recorded), and the benchmarks of the everyday modules (bench50, 20
// installed packages). It has no code of its own outside its tests.
package everyday
