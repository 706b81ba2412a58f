module github.com/aclgate/aclgate/integration

go 1.26
