package main

// The golden messages, built with mesos-go's types. tests/support/golden.c builds the same
// messages with ours; change both together.

import (
	"github.com/gogo/protobuf/proto"
	mesos "github.com/mesos/mesos-go/api/v0/mesosproto"
)

type goldenMsg struct {
	name string
	msg  proto.Message
}

const (
	frameworkID = "20150113-142013-16842879-5050-5237-0000"
	slaveID     = "20150113-142013-16842879-5050-5237-S0"
)

func scalar(name string, v float64) *mesos.Resource {
	return &mesos.Resource{Name: proto.String(name), Type: mesos.Value_SCALAR.Enum(),
		Scalar: &mesos.Value_Scalar{Value: proto.Float64(v)}}
}

func golden() []goldenMsg {
	uuid := []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	return []goldenMsg{
		{"mesos.internal.RegisterFrameworkMessage", &mesos.RegisterFrameworkMessage{
			Framework: &mesos.FrameworkInfo{
				User: proto.String(""), Name: proto.String("go-test"),
				FailoverTimeout: proto.Float64(3600.5), Checkpoint: proto.Bool(true),
				Hostname: proto.String("node1"), Principal: proto.String("alice"),
			}}},
		{"mesos.internal.StatusUpdateMessage", &mesos.StatusUpdateMessage{
			Update: &mesos.StatusUpdate{
				FrameworkId: &mesos.FrameworkID{Value: proto.String(frameworkID)},
				ExecutorId:  &mesos.ExecutorID{Value: proto.String("web-executor")},
				SlaveId:     &mesos.SlaveID{Value: proto.String(slaveID)},
				Status: &mesos.TaskStatus{
					TaskId:     &mesos.TaskID{Value: proto.String("web-1")},
					State:      mesos.TaskState_TASK_RUNNING.Enum(),
					Message:    proto.String("started"),
					Source:     mesos.TaskStatus_SOURCE_EXECUTOR.Enum(),
					Reason:     mesos.TaskStatus_REASON_RECONCILIATION.Enum(),
					Data:       []byte{0, 1, 0xff},
					SlaveId:    &mesos.SlaveID{Value: proto.String(slaveID)},
					ExecutorId: &mesos.ExecutorID{Value: proto.String("web-executor")},
					Timestamp:  proto.Float64(1421176813.5),
					Healthy:    proto.Bool(true),
				},
				Timestamp:   proto.Float64(1421176813.5),
				Uuid:        uuid,
				LatestState: mesos.TaskState_TASK_STAGING.Enum(),
			},
			Pid: proto.String("executor(1)@10.0.0.2:41234"),
		}},
		{"mesos.internal.LaunchTasksMessage", &mesos.LaunchTasksMessage{
			FrameworkId: &mesos.FrameworkID{Value: proto.String(frameworkID)},
			Tasks: []*mesos.TaskInfo{
				{
					Name:    proto.String("sleep"),
					TaskId:  &mesos.TaskID{Value: proto.String("t1")},
					SlaveId: &mesos.SlaveID{Value: proto.String(slaveID)},
					Resources: []*mesos.Resource{scalar("cpus", 0.1), scalar("mem", 32),
						{Name: proto.String("ports"), Type: mesos.Value_RANGES.Enum(),
							Ranges: &mesos.Value_Ranges{Range: []*mesos.Value_Range{
								{Begin: proto.Uint64(31000), End: proto.Uint64(31001)}}}}},
					Command: &mesos.CommandInfo{
						Uris: []*mesos.CommandInfo_URI{{Value: proto.String("http://x/y.tgz"),
							Executable: proto.Bool(false), Extract: proto.Bool(true)}},
						Environment: &mesos.Environment{Variables: []*mesos.Environment_Variable{
							{Name: proto.String("A"), Value: proto.String("1")}}},
						Value: proto.String("sleep 1"),
						Shell: proto.Bool(true),
					},
					Data: []byte("d"),
				},
				{
					Name:    proto.String("go"),
					TaskId:  &mesos.TaskID{Value: proto.String("t2")},
					SlaveId: &mesos.SlaveID{Value: proto.String(slaveID)},
					Executor: &mesos.ExecutorInfo{
						ExecutorId:  &mesos.ExecutorID{Value: proto.String("e1")},
						FrameworkId: &mesos.FrameworkID{Value: proto.String(frameworkID)},
						Command:     &mesos.CommandInfo{Value: proto.String("./executor")},
						Resources:   []*mesos.Resource{scalar("cpus", 0.05)},
						Name:        proto.String("go executor"),
					},
				},
			},
			Filters:  &mesos.Filters{RefuseSeconds: proto.Float64(1)},
			OfferIds: []*mesos.OfferID{{Value: proto.String("O1")}, {Value: proto.String("O2")}},
		}},
		{"mesos.internal.ExitedExecutorMessage", &mesos.ExitedExecutorMessage{
			SlaveId:     &mesos.SlaveID{Value: proto.String(slaveID)},
			FrameworkId: &mesos.FrameworkID{Value: proto.String(frameworkID)},
			ExecutorId:  &mesos.ExecutorID{Value: proto.String("e1")},
			Status:      proto.Int32(-1),
		}},
		{"mesos.internal.ResourceOffersMessage", &mesos.ResourceOffersMessage{
			Offers: []*mesos.Offer{{
				Id:          &mesos.OfferID{Value: proto.String("O1")},
				FrameworkId: &mesos.FrameworkID{Value: proto.String(frameworkID)},
				SlaveId:     &mesos.SlaveID{Value: proto.String(slaveID)},
				Hostname:    proto.String("node1"),
				Resources: []*mesos.Resource{scalar("cpus", 4),
					{Name: proto.String("disk"), Type: mesos.Value_SCALAR.Enum(),
						Scalar: &mesos.Value_Scalar{Value: proto.Float64(1024)},
						Role:   proto.String("prod")},
					{Name: proto.String("disks"), Type: mesos.Value_SET.Enum(),
						Set: &mesos.Value_Set{Item: []string{"a", "b"}}}},
				Attributes: []*mesos.Attribute{
					{Name: proto.String("rack"), Type: mesos.Value_TEXT.Enum(),
						Text: &mesos.Value_Text{Value: proto.String("r1")}},
					{Name: proto.String("level"), Type: mesos.Value_SCALAR.Enum(),
						Scalar: &mesos.Value_Scalar{Value: proto.Float64(10)}}},
			}},
			Pids: []string{"slave(1)@127.0.0.1:5051"},
		}},
		{"mesos.HealthCheck", &mesos.HealthCheck{
			Http: &mesos.HealthCheck_HTTP{Port: proto.Uint32(8080), Path: proto.String("/health"),
				Statuses: []uint32{200, 204}},
			DelaySeconds:        proto.Float64(1),
			ConsecutiveFailures: proto.Uint32(2),
		}},
	}
}
