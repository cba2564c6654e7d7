//go:build tools

package main

import (
	_ "github.com/go-viper/mapstructure/v2"
	_ "github.com/go-zeromq/zmq4"
	_ "go.uber.org/goleak"
	_ "go.yaml.in/yaml/v3"
)
