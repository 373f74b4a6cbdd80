// GET /helloworld/{name} → {"message":"Hello NAME"} on Go's net/http with gorilla/mux, the router
// go-kratos's HTTP transport stands on. Built offline in GOPATH mode against Debian's
// golang-github-gorilla-mux-dev (GOPATH=/usr/share/gocode).
// Usage: bench-go-mux PORT
package main

import (
	"encoding/json"
	"net/http"
	"os"

	"github.com/gorilla/mux"
)

type helloReply struct {
	Message string `json:"message"`
}

func main() {
	port := "8005"
	if len(os.Args) > 1 {
		port = os.Args[1]
	}
	router := mux.NewRouter()
	router.HandleFunc("/helloworld/{name}", func(w http.ResponseWriter, r *http.Request) {
		body, _ := json.Marshal(helloReply{Message: "Hello " + mux.Vars(r)["name"]})
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}).Methods("GET")
	if err := http.ListenAndServe("127.0.0.1:"+port, router); err != nil {
		panic(err)
	}
}
