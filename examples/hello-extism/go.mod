module example.com/hello-extism

go 1.24
