// scheduler: a framework written with mesos-go's v0 scheduler driver, for
// tests/integration/test_mesos_go.c. It registers and launches, on the first offer that fits,
// the tasks -tasks names: "cmd" a command task (echo), and tasks of one custom executor (the
// -executor program): "msg" finishes once the executor got a framework message, "kill" runs
// until killed, "wait" too. When "msg" runs it sends the executor "ping" (the executor answers
// "pong"); when "kill" runs it asks for reconciliation and kills "kill" once the master
// answered; "wait" is killed on SIGUSR1. It prints every event to stdout, one line each, and
// "done" when every task ended as expected (FINISHED, or KILLED for kill and wait); then it
// stays registered until SIGTERM, which stops the driver. With -principal and -secret it
// authenticates first, with mesos-go's own CRAM-MD5 authenticatee.
//
// mesos-go's standalone detector reports a new master only when the leader's PID changes, so
// a stock mesos-go scheduler does not notice a master restarted at the same address (it
// would not with Mesos either). This one uses detector.Master (mesos-go's extension point,
// DriverConfig.NewDetector) with a poller that also reports the master lost while its /state
// does not answer, and found again when it does, when it answers with a new master ID (it
// restarted between two polls) or when the driver lost it (a failed send). A zk:// -master goes to mesos-go's own ZooKeeper detector
// unchanged, as a stock mesos-go framework would use it.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gogo/protobuf/proto"
	"github.com/mesos/mesos-go/api/v0/auth"
	"github.com/mesos/mesos-go/api/v0/auth/sasl"
	_ "github.com/mesos/mesos-go/api/v0/auth/sasl/mech/crammd5"
	"github.com/mesos/mesos-go/api/v0/detector"
	_ "github.com/mesos/mesos-go/api/v0/detector/zoo" // registers the zk:// detector
	mesos "github.com/mesos/mesos-go/api/v0/mesosproto"
	sched "github.com/mesos/mesos-go/api/v0/scheduler"
	"github.com/mesos/mesos-go/api/v0/upid"
	"golang.org/x/net/context"
)

var (
	master     = flag.String("master", "127.0.0.1:5050", "the master's host:port, or zk://")
	executor   = flag.String("executor", "", "the custom executor program")
	tasks      = flag.String("tasks", "cmd,msg,kill", "the tasks to launch: cmd, msg, kill, wait")
	checkpoint = flag.Bool("checkpoint", false, "FrameworkInfo.checkpoint")
	principal  = flag.String("principal", "", "FrameworkInfo.principal")
	secret     = flag.String("secret", "", "with -principal: authenticate (mesos-go's CRAM-MD5)")
)

// What each task ends in when all goes well.
var expected = map[string]mesos.TaskState{
	"cmd": mesos.TaskState_TASK_FINISHED, "msg": mesos.TaskState_TASK_FINISHED,
	"kill": mesos.TaskState_TASK_KILLED, "wait": mesos.TaskState_TASK_KILLED,
}

// ---- the framework ----------------------------------------------------------------------

type framework struct {
	mu          sync.Mutex
	launched    bool
	ended       map[string]mesos.TaskState
	reconciling bool
}

func scalar(name string, v float64) *mesos.Resource {
	return &mesos.Resource{Name: proto.String(name), Type: mesos.Value_SCALAR.Enum(),
		Scalar: &mesos.Value_Scalar{Value: proto.Float64(v)}}
}

func resources(cpus, mem float64) []*mesos.Resource {
	return []*mesos.Resource{scalar("cpus", cpus), scalar("mem", mem)}
}

func fits(o *mesos.Offer, cpus, mem float64) bool {
	have := map[string]float64{}
	for _, r := range o.GetResources() {
		have[r.GetName()] += r.GetScalar().GetValue()
	}
	return have["cpus"] >= cpus && have["mem"] >= mem
}

func (f *framework) Registered(d sched.SchedulerDriver, id *mesos.FrameworkID, mi *mesos.MasterInfo) {
	lost.Store(false)
	fmt.Println("registered", id.GetValue(), mi.GetPid())
}

func (f *framework) Reregistered(d sched.SchedulerDriver, mi *mesos.MasterInfo) {
	lost.Store(false)
	fmt.Println("reregistered", mi.GetPid())
}

func (f *framework) Disconnected(d sched.SchedulerDriver) {
	lost.Store(true)
	fmt.Println("disconnected")
}

func (f *framework) tasks(o *mesos.Offer) []*mesos.TaskInfo {
	ex := &mesos.ExecutorInfo{
		ExecutorId: &mesos.ExecutorID{Value: proto.String("go-executor")},
		Command:    &mesos.CommandInfo{Value: proto.String(*executor)},
		Name:       proto.String("mesos-go test executor"),
		Resources:  resources(0.1, 32),
	}
	var list []*mesos.TaskInfo
	for _, id := range strings.Split(*tasks, ",") {
		t := &mesos.TaskInfo{Name: proto.String(id), TaskId: &mesos.TaskID{Value: proto.String(id)},
			SlaveId: o.SlaveId, Resources: resources(0.1, 32)}
		switch id {
		case "cmd":
			t.Command = &mesos.CommandInfo{Value: proto.String("echo hello from a mesos-go framework")}
		case "msg":
			t.Executor, t.Data = ex, []byte("wait-message")
		default:
			t.Executor, t.Data = ex, []byte("wait-kill")
		}
		list = append(list, t)
	}
	return list
}

func (f *framework) ResourceOffers(d sched.SchedulerDriver, offers []*mesos.Offer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, o := range offers {
		if f.launched || !fits(o, 0.4, 160) {
			d.DeclineOffer(o.Id, &mesos.Filters{RefuseSeconds: proto.Float64(1)})
			continue
		}
		f.launched = true
		fmt.Println("launching on", o.GetHostname())
		d.LaunchTasks([]*mesos.OfferID{o.Id}, f.tasks(o), &mesos.Filters{RefuseSeconds: proto.Float64(1)})
	}
}

func (f *framework) OfferRescinded(d sched.SchedulerDriver, id *mesos.OfferID) {
	fmt.Println("rescinded", id.GetValue())
}

func (f *framework) StatusUpdate(d sched.SchedulerDriver, s *mesos.TaskStatus) {
	id := s.GetTaskId().GetValue()
	fmt.Println("status", id, s.GetState(), s.GetReason())
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case s.GetState() == mesos.TaskState_TASK_RUNNING && id == "msg" &&
		s.GetReason() != mesos.TaskStatus_REASON_RECONCILIATION:
		d.SendFrameworkMessage(&mesos.ExecutorID{Value: proto.String("go-executor")}, s.GetSlaveId(), "ping")
	case s.GetState() == mesos.TaskState_TASK_RUNNING && id == "kill" && !f.reconciling:
		f.reconciling = true
		d.ReconcileTasks(nil)
	case s.GetState() == mesos.TaskState_TASK_RUNNING && id == "kill" &&
		s.GetReason() == mesos.TaskStatus_REASON_RECONCILIATION:
		d.KillTask(s.GetTaskId())
	case s.GetState() != mesos.TaskState_TASK_RUNNING && s.GetState() != mesos.TaskState_TASK_STARTING &&
		s.GetState() != mesos.TaskState_TASK_STAGING:
		f.ended[id] = s.GetState()
		for _, t := range strings.Split(*tasks, ",") {
			if f.ended[t] != expected[t] {
				return
			}
		}
		fmt.Println("done")
	}
}

func (f *framework) FrameworkMessage(d sched.SchedulerDriver, e *mesos.ExecutorID, s *mesos.SlaveID, msg string) {
	fmt.Println("message", e.GetValue(), msg)
}

func (f *framework) SlaveLost(d sched.SchedulerDriver, id *mesos.SlaveID) {
	fmt.Println("slave-lost", id.GetValue())
}

func (f *framework) ExecutorLost(d sched.SchedulerDriver, e *mesos.ExecutorID, s *mesos.SlaveID, status int) {
	fmt.Println("executor-lost", e.GetValue(), status)
}

func (f *framework) Error(d sched.SchedulerDriver, msg string) { fmt.Println("error", msg) }

// ---- a standalone detector that notices restarts -----------------------------------------

// lost is set while the driver is disconnected. The driver forgets the master on any
// disconnection, a failed send included (a message to a master that has just restarted can
// fail that way), and registers again only when its detector reports a master: so the poller
// reports the master again at its next answer, once per disconnection.
var lost atomic.Bool

type poller struct {
	addr string
	done chan struct{}
	once sync.Once
}

// leader asks the master's /state who leads and the master's own ID, which a restart changes
// (nil when it does not answer).
func (p *poller) leader(client *http.Client) (*upid.UPID, string) {
	resp, err := client.Get("http://" + p.addr + "/state")
	if err != nil {
		return nil, ""
	}
	defer resp.Body.Close()
	var state struct {
		Leader string `json:"leader"`
		ID     string `json:"id"`
	}
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&state) != nil {
		return nil, ""
	}
	pid, err := upid.Parse(state.Leader)
	if err != nil {
		return nil, ""
	}
	return pid, state.ID
}

func (p *poller) Detect(o detector.MasterChanged) error {
	go func() {
		client := &http.Client{Timeout: 2 * time.Second}
		var last *upid.UPID
		lastID, reported := "", false
		for {
			// A master restarted between two polls answers at the same PID with a new ID:
			// that is a new master too. A master found answers for the driver's loss of it.
			pid, id := p.leader(client)
			changed := !reported || (pid == nil) != (last == nil) ||
				(pid != nil && !pid.Equal(last)) || id != lastID
			if pid != nil && lost.Swap(false) {
				changed = true
			}
			if changed {
				last, lastID, reported = pid, id, true
				o.OnMasterChanged(detector.CreateMasterInfo(pid))
			}
			select {
			case <-p.done:
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	return nil
}

func (p *poller) Done() <-chan struct{} { return p.done }
func (p *poller) Cancel()               { p.once.Do(func() { close(p.done) }) }

func main() {
	// The driver's own log goes to stderr, into the test's log beside the events: what it
	// tried and what failed is there when a test fails.
	flag.Set("logtostderr", "true")
	flag.Set("v", "1")
	flag.Parse()
	config := sched.DriverConfig{
		Scheduler: &framework{ended: map[string]mesos.TaskState{}},
		Framework: &mesos.FrameworkInfo{
			User:            proto.String(""),
			Name:            proto.String("mesos-go test framework"),
			FailoverTimeout: proto.Float64(60),
			Checkpoint:      proto.Bool(*checkpoint),
		},
		Master:         *master,
		BindingAddress: net.ParseIP("127.0.0.1"),
		NewDetector: func() (detector.Master, error) {
			if strings.HasPrefix(*master, "zk://") {
				return detector.New(*master)
			}
			return &poller{addr: *master, done: make(chan struct{})}, nil
		},
	}
	if *principal != "" {
		config.Framework.Principal = proto.String(*principal)
	}
	if *secret != "" { // mesos-go's own SASL CRAM-MD5 authenticatee, as its examples set it up
		config.Credential = &mesos.Credential{Principal: proto.String(*principal),
			Secret: proto.String(*secret)}
		config.WithAuthContext = func(ctx context.Context) context.Context {
			ctx = auth.WithLoginProvider(ctx, sasl.ProviderName)
			return sasl.WithBindingAddress(ctx, net.ParseIP("127.0.0.1"))
		}
	}
	driver, err := sched.NewMesosSchedulerDriver(config)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1)
	go func() {
		for sig := range signals {
			if sig == syscall.SIGUSR1 {
				driver.KillTask(&mesos.TaskID{Value: proto.String("wait")})
				continue
			}
			driver.Stop(false)
			return
		}
	}()
	status, err := driver.Run()
	fmt.Println("stopped", status, err)
	if status != mesos.Status_DRIVER_STOPPED {
		os.Exit(1)
	}
}
