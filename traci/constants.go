package traci

// Protocol constants of TraCI API version 20 (SUMO 1.15), as the TraCI
// documentation and SUMO's TraCIConstants.h define them. Only those this
// client uses are listed.

// APIVersion is the TraCI API version this client speaks.
const APIVersion = 20

// Command identifiers.
const (
	cmdGetVersion   = 0x00
	cmdSimStep      = 0x02
	cmdSetOrder     = 0x03
	cmdChangeTarget = 0x31
	cmdClose        = 0x7f

	cmdGetTL            = 0xa2
	cmdGetLane          = 0xa3
	cmdGetVehicle       = 0xa4
	cmdGetVehicleType   = 0xa5
	cmdGetRoute         = 0xa6
	cmdGetEdge          = 0xaa
	cmdGetSim           = 0xab
	cmdSetTL            = 0xc2
	cmdSetVehicle       = 0xc4
	cmdSetVehicleType   = 0xc5
	cmdSetRoute         = 0xc6
	cmdSubscribeTL      = 0xd2
	cmdSubscribeVehicle = 0xd4
	cmdSubscribeSim     = 0xdb

	// A get command's response is its id + 0x10; a subscription's
	// response is the subscribe command's id + 0x10.
	responseOffset = 0x10
)

// Status result codes.
const (
	rtypeOK             = 0x00
	rtypeNotImplemented = 0x01
	rtypeErr            = 0xff
)

// Value types.
const (
	typeLonLat      = 0x00
	type2D          = 0x01
	typeLonLatAlt   = 0x02
	type3D          = 0x03
	typeRoadMap     = 0x04
	typeBoundingBox = 0x05
	typePolygon     = 0x06
	typeUByte       = 0x07
	typeByte        = 0x08
	typeInteger     = 0x09
	typeDouble      = 0x0b
	typeString      = 0x0c
	typeStringList  = 0x0e
	typeCompound    = 0x0f
	typeDoubleList  = 0x10
	typeColor       = 0x11
)

// Variable identifiers (the "var" byte of get, set and subscribe commands).
const (
	varIDList             = 0x00
	varIDCount            = 0x01
	varName               = 0x1b
	varSpeed              = 0x40
	varPosition           = 0x42
	varAngle              = 0x43
	varLength             = 0x44
	varColor              = 0x45
	varVClass             = 0x49
	varType               = 0x4f
	varRoadID             = 0x50
	varLaneID             = 0x51
	varLaneIndex          = 0x52
	varRouteID            = 0x53
	varEdges              = 0x54
	varLanePos            = 0x56
	varRoute              = 0x57
	varRouteIndex         = 0x69
	varWaitingTime        = 0x7a
	varDistance           = 0x84
	varTime               = 0x66
	varDeltaT             = 0x7b
	varLoadedIDs          = 0x72
	varDepartedIDs        = 0x74
	varTeleportStartIDs   = 0x76
	varArrivedIDs         = 0x7a
	varMinExpected        = 0x7d
	varAdd                = 0x80
	varRemove             = 0x81
	varPositionConversion = 0x82
	varAddFull            = 0x85
	varFindRoute          = 0x86
	varCopy               = 0x88
	varImperfection       = 0x5d
	varSpeedDeviation     = 0x5f

	tlState              = 0x20
	tlPhaseIndex         = 0x22
	tlProgram            = 0x23
	tlPhaseDuration      = 0x24
	tlControlledLanes    = 0x26
	tlControlledLinks    = 0x27
	tlCurrentPhase       = 0x28
	tlCurrentProgram     = 0x29
	tlCompleteDefinition = 0x2b
	tlNextSwitch         = 0x2d
)

// invalidDouble is TraCI's "no value" for a double (subscription begin and
// end: the whole simulation).
const invalidDouble = -1073741824.0
