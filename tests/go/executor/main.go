// executor: a custom executor written with mesos-go's v0 executor driver, for
// tests/integration/test_mesos_go.c. It reports each task RUNNING, then by the task's data:
// "finish" finishes it at once, "wait-message" waits for a framework message "ping", answers
// "pong" and finishes the task, "wait-kill" runs until killed. A kill is answered TASK_KILLED.
// What it does is printed to stdout, one line per event.
//
// mesos-go runs every callback in a goroutine of its own and stops the driver right after
// starting Shutdown's, so main waits (bounded) for Shutdown to have printed before it prints
// "stopped" and exits: otherwise the test could read "stopped" without "shutdown".
package main

import (
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	exec "github.com/mesos/mesos-go/api/v0/executor"
	mesos "github.com/mesos/mesos-go/api/v0/mesosproto"
)

type executor struct {
	mu       sync.Mutex
	waiting  []*mesos.TaskID // tasks waiting for a framework message
	shutOnce sync.Once
	shut     chan struct{} // closed once Shutdown has printed
}

func update(d exec.ExecutorDriver, id *mesos.TaskID, state mesos.TaskState) {
	if _, err := d.SendStatusUpdate(&mesos.TaskStatus{TaskId: id, State: state.Enum()}); err != nil {
		fmt.Println("error sending an update:", err)
	}
}

func (e *executor) Registered(d exec.ExecutorDriver, ei *mesos.ExecutorInfo, fi *mesos.FrameworkInfo, si *mesos.SlaveInfo) {
	fmt.Println("registered", ei.GetExecutorId().GetValue(), "of", fi.GetName(), "on", si.GetHostname())
}

func (e *executor) Reregistered(d exec.ExecutorDriver, si *mesos.SlaveInfo) {
	fmt.Println("reregistered")
}

func (e *executor) Disconnected(d exec.ExecutorDriver) { fmt.Println("disconnected") }

func (e *executor) LaunchTask(d exec.ExecutorDriver, t *mesos.TaskInfo) {
	fmt.Println("launch", t.GetTaskId().GetValue(), string(t.GetData()))
	update(d, t.GetTaskId(), mesos.TaskState_TASK_RUNNING)
	switch string(t.GetData()) {
	case "finish":
		update(d, t.GetTaskId(), mesos.TaskState_TASK_FINISHED)
	case "wait-message":
		e.mu.Lock()
		e.waiting = append(e.waiting, t.GetTaskId())
		e.mu.Unlock()
	}
}

func (e *executor) KillTask(d exec.ExecutorDriver, id *mesos.TaskID) {
	fmt.Println("kill", id.GetValue())
	update(d, id, mesos.TaskState_TASK_KILLED)
}

func (e *executor) FrameworkMessage(d exec.ExecutorDriver, msg string) {
	fmt.Println("message", msg)
	if msg != "ping" {
		return
	}
	d.SendFrameworkMessage("pong")
	e.mu.Lock()
	waiting := e.waiting
	e.waiting = nil
	e.mu.Unlock()
	for _, id := range waiting {
		update(d, id, mesos.TaskState_TASK_FINISHED)
	}
}

func (e *executor) Shutdown(d exec.ExecutorDriver) {
	fmt.Println("shutdown")
	e.shutOnce.Do(func() { close(e.shut) })
	d.Stop()
}

func (e *executor) Error(d exec.ExecutorDriver, msg string) { fmt.Println("error", msg) }

func main() {
	e := &executor{shut: make(chan struct{})}
	driver, err := exec.NewMesosExecutorDriver(exec.DriverConfig{
		Executor:       e,
		BindingAddress: net.ParseIP("127.0.0.1"),
	})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	status, err := driver.Run()
	select {
	case <-e.shut:
	case <-time.After(10 * time.Second):
	}
	fmt.Println("stopped", status, err)
	if status != mesos.Status_DRIVER_STOPPED {
		os.Exit(1)
	}
}
