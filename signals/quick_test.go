package signals
import ("testing";"fmt")
func TestQuick(t *testing.T){
 c,err:=ParseCommand([]byte(`{"type":"preempt","request_id":"amb-17.I-204.3","controller_id":"cc-1",
 "intersection_id":"I-204","vehicle_id":"amb-17","approach":"EB","phase":2,
 "priority":1,"eta_s":11.5,"issued_at":"2026-11-22T08:15:31.010Z",
 "expires_at":"2026-11-22T08:15:56.010Z","zz":1}`))
 fmt.Println(c,err)
 b,_:=c.MarshalJSON(); fmt.Println(string(b))
 _,err=ParseCommand([]byte(`{"type":"preempt","phase":"x"}`)); fmt.Println(err)
 _,err=ParseCommand([]byte(`[1]`)); fmt.Println(err)
 _,err=ParseCommand([]byte(`{"type":"release","request_id":"a","controller_id":"c","intersection_id":"i","issued_at":"2026-11-22T08:15:31Z"}`)); fmt.Println(err)
 s,err:=ParseStatus([]byte(`{"intersection_id":"I-204","ts":"2026-11-22T08:15:33.400Z","state":"hold","green_phases":[2,6],"request_id":"amb-17.I-204.3"}`)); fmt.Println(s,err)
 _,err=ParseStatus([]byte(`{"intersection_id":"I-204","ts":"2026-11-22T08:15:33.400Z","state":"hold","green_phases":[2,"a"]}`)); fmt.Println(err)
 b,_=Status{IntersectionID:"x",State:"normal"}.MarshalJSON(); fmt.Println(string(b))
}
