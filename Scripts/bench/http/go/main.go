// GET /helloworld/{name} → {"message":"Hello NAME"} on Go's net/http.
// Usage: go run main.go PORT
package main

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
)

type helloReply struct {
	Message string `json:"message"`
}

func main() {
	port := "8002"
	if len(os.Args) > 1 {
		port = os.Args[1]
	}
	http.HandleFunc("/helloworld/", func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/helloworld/")
		body, _ := json.Marshal(helloReply{Message: "Hello " + name})
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	if err := http.ListenAndServe("127.0.0.1:"+port, nil); err != nil {
		panic(err)
	}
}
