module github.com/aclgate/aclgate/integration

go 1.26.0

require (
	// the plugin itself, compiled, for the yaegi-vs-compiled benchmark
	github.com/aclgate/aclgate v0.0.0-00010101000000-000000000000
	// Traefik v3.6.12's pins: its plugin config decoder, its file/label
	// parser and its interpreter
	github.com/mitchellh/mapstructure v1.5.1-0.20231216201459-8508981c8b6c
	github.com/traefik/paerser v0.2.2
	github.com/traefik/yaegi v0.16.1
	gopkg.in/yaml.v3 v3.0.1
)

require golang.org/x/mod v0.32.0

require github.com/BurntSushi/toml v1.6.0 // indirect

replace github.com/aclgate/aclgate => ../
