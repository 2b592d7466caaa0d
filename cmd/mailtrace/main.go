// Command mailtrace traces where an email came from.
package main

import "os"

func main() { os.Exit(Main(os.Args[1:], defaultStreams())) }
