// wirecheck: our protobuf encoding held against mesos-go's own (Debian's
// golang-github-mesos-mesos-go-dev, built in GOPATH mode). Used by tests/integration/test_mesos_go.c.
//
//	wirecheck golden          prints "<name> <hex>" for the messages of tests/support/golden.c,
//	                          built here with mesos-go's types and encoded by gogo/protobuf
//	wirecheck crosscheck FILE reads lines "<full type name> <hex>" (our encodings) and prints per
//	                          line "ok <hex>" (mesos-go decoded it, found no field it does not
//	                          know, and re-encoded it to <hex>), "unknown-type", "error <why>", or
//	                          "unrecognized <Type>:<number>,..." followed by " <hex>"
package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"

	"github.com/gogo/protobuf/proto"
	mesos "github.com/mesos/mesos-go/api/v0/mesosproto"
)

// Every mesos-go type that has a counterpart in wire/schema.def, by the name without its
// package ("CommandInfo.URI" for mesos.CommandInfo.URI).
var types = map[string]reflect.Type{}

func init() {
	for _, m := range []proto.Message{
		&mesos.FrameworkID{},
		&mesos.OfferID{},
		&mesos.SlaveID{},
		&mesos.TaskID{},
		&mesos.ExecutorID{},
		&mesos.ContainerID{},
		&mesos.Value_Scalar{},
		&mesos.Value_Range{},
		&mesos.Value_Ranges{},
		&mesos.Value_Set{},
		&mesos.Value_Text{},
		&mesos.Value{},
		&mesos.Attribute{},
		&mesos.Volume{},
		&mesos.Resource_DiskInfo_Persistence{},
		&mesos.Resource_DiskInfo{},
		&mesos.Resource{},
		&mesos.Parameter{},
		&mesos.Parameters{},
		&mesos.Label{},
		&mesos.Labels{},
		&mesos.Port{},
		&mesos.Ports{},
		&mesos.DiscoveryInfo{},
		&mesos.Environment_Variable{},
		&mesos.Environment{},
		&mesos.Filters{},
		&mesos.FrameworkInfo{},
		&mesos.MasterInfo{},
		&mesos.SlaveInfo{},
		&mesos.CommandInfo_URI{},
		&mesos.CommandInfo_ContainerInfo{},
		&mesos.CommandInfo{},
		&mesos.ContainerInfo_DockerInfo_PortMapping{},
		&mesos.ContainerInfo_DockerInfo{},
		&mesos.ContainerInfo{},
		&mesos.HealthCheck_HTTP{},
		&mesos.HealthCheck{},
		&mesos.ExecutorInfo{},
		&mesos.TaskInfo{},
		&mesos.TaskStatus{},
		&mesos.Offer_Operation_Launch{},
		&mesos.Offer_Operation_Reserve{},
		&mesos.Offer_Operation_Unreserve{},
		&mesos.Offer_Operation_Create{},
		&mesos.Offer_Operation_Destroy{},
		&mesos.Offer_Operation{},
		&mesos.Offer{},
		&mesos.Request{},
		&mesos.PerfStatistics{},
		&mesos.ResourceStatistics{},
		&mesos.ResourceUsage{},
		&mesos.Credential{},
		&mesos.Credentials{},
		&mesos.RateLimit{},
		&mesos.RateLimits{},
		&mesos.Task{},
		&mesos.StatusUpdate{},
		&mesos.StatusUpdateRecord{},
		&mesos.Archive_Framework{},
		&mesos.Archive{},
		&mesos.MasterSlaveConnection{},
		&mesos.RegisterFrameworkMessage{},
		&mesos.ReregisterFrameworkMessage{},
		&mesos.FrameworkRegisteredMessage{},
		&mesos.FrameworkReregisteredMessage{},
		&mesos.UnregisterFrameworkMessage{},
		&mesos.DeactivateFrameworkMessage{},
		&mesos.ResourceRequestMessage{},
		&mesos.ResourceOffersMessage{},
		&mesos.LaunchTasksMessage{},
		&mesos.RescindResourceOfferMessage{},
		&mesos.ReviveOffersMessage{},
		&mesos.RunTaskMessage{},
		&mesos.KillTaskMessage{},
		&mesos.StatusUpdateMessage{},
		&mesos.StatusUpdateAcknowledgementMessage{},
		&mesos.LostSlaveMessage{},
		&mesos.ReconcileTasksMessage{},
		&mesos.FrameworkErrorMessage{},
		&mesos.FrameworkToExecutorMessage{},
		&mesos.ExecutorToFrameworkMessage{},
		&mesos.UpdateFrameworkMessage{},
		&mesos.RegisterSlaveMessage{},
		&mesos.ReregisterSlaveMessage{},
		&mesos.SlaveRegisteredMessage{},
		&mesos.SlaveReregisteredMessage{},
		&mesos.UnregisterSlaveMessage{},
		&mesos.PingSlaveMessage{},
		&mesos.PongSlaveMessage{},
		&mesos.ShutdownFrameworkMessage{},
		&mesos.ShutdownMessage{},
		&mesos.RegisterExecutorMessage{},
		&mesos.ExecutorRegisteredMessage{},
		&mesos.ReregisterExecutorMessage{},
		&mesos.ExecutorReregisteredMessage{},
		&mesos.ExitedExecutorMessage{},
		&mesos.ReconnectExecutorMessage{},
		&mesos.ShutdownExecutorMessage{},
		&mesos.AuthenticateMessage{},
		&mesos.AuthenticationMechanismsMessage{},
		&mesos.AuthenticationStartMessage{},
		&mesos.AuthenticationStepMessage{},
		&mesos.AuthenticationCompletedMessage{},
		&mesos.AuthenticationFailedMessage{},
		&mesos.AuthenticationErrorMessage{},
	} {
		t := reflect.TypeOf(m).Elem()
		types[strings.Replace(t.Name(), "_", ".", -1)] = t
	}
}

type marshaler interface {
	proto.Message
	Marshal() ([]byte, error)
	Unmarshal([]byte) error
}

// unrecognized collects "<Type>:<field number>" for every field mesos-go kept as unknown bytes.
func unrecognized(v reflect.Value, out map[string]bool) {
	switch v.Kind() {
	case reflect.Ptr:
		if !v.IsNil() {
			unrecognized(v.Elem(), out)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.Uint8 {
			for i := 0; i < v.Len(); i++ {
				unrecognized(v.Index(i), out)
			}
		}
	case reflect.Struct:
		if f := v.FieldByName("XXX_unrecognized"); f.IsValid() && f.Len() > 0 {
			for _, n := range fieldNumbers(f.Bytes()) {
				out[fmt.Sprintf("%s:%d", strings.Replace(v.Type().Name(), "_", ".", -1), n)] = true
			}
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).Name != "XXX_unrecognized" {
				unrecognized(v.Field(i), out)
			}
		}
	}
}

// fieldNumbers lists the field numbers of a run of encoded fields.
func fieldNumbers(b []byte) []uint64 {
	var nums []uint64
	buf := proto.NewBuffer(b)
	for {
		tag, err := buf.DecodeVarint()
		if err != nil || tag == 0 {
			return nums
		}
		nums = append(nums, tag>>3)
		switch tag & 7 {
		case 0:
			buf.DecodeVarint()
		case 1:
			buf.DecodeFixed64()
		case 2:
			buf.DecodeRawBytes(false)
		case 5:
			buf.DecodeFixed32()
		default:
			return nums
		}
	}
}

func crosscheck(line string) string {
	parts := strings.SplitN(line, " ", 2) // an empty message has no hex
	if len(parts) != 2 {
		return "error malformed input line"
	}
	name := strings.TrimPrefix(strings.TrimPrefix(parts[0], "mesos.internal."), "mesos.")
	t, ok := types[name]
	if !ok {
		return "unknown-type"
	}
	data, err := hex.DecodeString(parts[1])
	if err != nil {
		return "error " + err.Error()
	}
	m := reflect.New(t).Interface().(marshaler)
	if err := m.Unmarshal(data); err != nil {
		return "error " + strings.Replace(err.Error(), " ", "_", -1)
	}
	again, err := m.Marshal()
	if err != nil {
		return "error " + strings.Replace(err.Error(), " ", "_", -1)
	}
	unknown := map[string]bool{}
	unrecognized(reflect.ValueOf(m), unknown)
	if len(unknown) > 0 {
		var list []string
		for k := range unknown {
			list = append(list, k)
		}
		sort.Strings(list)
		return "unrecognized " + strings.Join(list, ",") + " " + hex.EncodeToString(again)
	}
	return "ok " + hex.EncodeToString(again)
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "golden" {
		for _, g := range golden() {
			b, err := g.msg.(marshaler).Marshal()
			if err != nil {
				fmt.Fprintln(os.Stderr, g.name, err)
				os.Exit(1)
			}
			fmt.Println(g.name, hex.EncodeToString(b))
		}
		return
	}
	if len(os.Args) != 3 || os.Args[1] != "crosscheck" {
		fmt.Fprintln(os.Stderr, "usage: wirecheck golden | wirecheck crosscheck FILE")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	in := bufio.NewScanner(f)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	for in.Scan() {
		fmt.Println(crosscheck(in.Text()))
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
