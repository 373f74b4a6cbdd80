// helloworld.v1.Greeter on grpc-go, the Go peer of bench-kratos-grpc: one grpc.Server with a
// recovery interceptor (a panic becomes codes.Internal, as go-kratos's recovery middleware does).
// Built by Scripts/bench-grpc in GOPATH mode with hello/pb generated from hello.proto.
//
// Usage: bench-go PORT                          serve on 127.0.0.1:PORT
//        bench-go client ADDR CONCURRENCY SECONDS  unary SayHello calls from CONCURRENCY
//                                                  goroutines on one connection; prints calls/s
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"hello/pb"
)

type greeter struct {
	pb.UnimplementedGreeterServer
}

func (greeter) SayHello(_ context.Context, in *pb.HelloRequest) (*pb.HelloReply, error) {
	return &pb.HelloReply{Message: "Hello " + in.Name}, nil
}

func (greeter) StreamHello(in *pb.HelloRequest, stream pb.Greeter_StreamHelloServer) error {
	reply := &pb.HelloReply{Message: "Hello " + in.Name}
	for i := int32(0); i < in.Count; i++ {
		if err := stream.Send(reply); err != nil {
			return err
		}
	}
	return nil
}

func (greeter) Echo(_ context.Context, in *pb.Blob) (*pb.Blob, error) {
	return &pb.Blob{Data: in.Data}, nil
}

// recovered turns a panic into an Internal status.
func recovered(err *error) {
	if p := recover(); p != nil {
		*err = status.Errorf(codes.Internal, "panic: %v", p)
	}
}

func recoveryUnary(ctx context.Context, req interface{}, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (reply interface{}, err error) {
	defer recovered(&err)
	return handler(ctx, req)
}

func recoveryStream(srv interface{}, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	defer recovered(&err)
	return handler(srv, ss)
}

func serve(port string) {
	listener, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		panic(err)
	}
	server := grpc.NewServer(grpc.UnaryInterceptor(recoveryUnary), grpc.StreamInterceptor(recoveryStream))
	pb.RegisterGreeterServer(server, greeter{})
	if err := server.Serve(listener); err != nil {
		panic(err)
	}
}

func client(addr string, concurrency int, seconds float64) {
	conn, err := grpc.Dial(addr, grpc.WithInsecure(), grpc.WithBlock())
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	greeter := pb.NewGreeterClient(conn)
	request := &pb.HelloRequest{Name: "kratos"}
	var calls, failures int64
	start := time.Now()
	end := start.Add(time.Duration(seconds * float64(time.Second)))
	var group sync.WaitGroup
	for i := 0; i < concurrency; i++ {
		group.Add(1)
		go func() {
			defer group.Done()
			for time.Now().Before(end) {
				reply, err := greeter.SayHello(context.Background(), request)
				if err != nil || reply.Message != "Hello kratos" {
					atomic.AddInt64(&failures, 1)
					continue
				}
				atomic.AddInt64(&calls, 1)
			}
		}()
	}
	group.Wait()
	elapsed := time.Since(start).Seconds()
	if failures > 0 {
		fmt.Fprintf(os.Stderr, "bench-go: %d calls failed\n", failures)
		os.Exit(1)
	}
	fmt.Printf("%.0f calls/s\n", float64(calls)/elapsed)
}

func main() {
	if len(os.Args) == 5 && os.Args[1] == "client" {
		concurrency, err1 := strconv.Atoi(os.Args[3])
		seconds, err2 := strconv.ParseFloat(os.Args[4], 64)
		if err1 != nil || err2 != nil || concurrency < 1 {
			fmt.Fprintln(os.Stderr, "usage: bench-go client ADDR CONCURRENCY SECONDS")
			os.Exit(2)
		}
		client(os.Args[2], concurrency, seconds)
		return
	}
	port := "9003"
	if len(os.Args) > 1 {
		port = os.Args[1]
	}
	serve(port)
}
