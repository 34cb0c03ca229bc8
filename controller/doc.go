// Package controller is greenwave's decision engine: it turns vehicles'
// positions and routes and the roadside units' status into preempt and
// release commands, advisories for the crews, and a record of every
// decision. See Engine.
package controller
