package registry

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const fleetCSV = `# The city's emergency fleet
vehicle_id,agency,class,priority,identity
amb-17,lux-ambulance,ambulance,2,
fire-3, cgdis, fire, 1, FIRE-3.cgdis.lu
pol-9,police,police,,
`

const fleetYAML = `vehicles:
  - vehicle_id: amb-17
    agency: lux-ambulance
    class: ambulance
    priority: 2
  - vehicle_id: fire-3
    agency: cgdis
    class: fire
    priority: 1
    identity: FIRE-3.cgdis.lu
  - vehicle_id: pol-9
    agency: police
    class: police
`

func write(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	return path
}

func TestLoadCSVAndYAMLAlike(t *testing.T) {
	want := []Vehicle{
		{ID: "amb-17", Agency: "lux-ambulance", Class: "ambulance", Priority: 2, Identity: "amb-17"},
		{ID: "fire-3", Agency: "cgdis", Class: "fire", Priority: 1, Identity: "FIRE-3.cgdis.lu"},
		{ID: "pol-9", Agency: "police", Class: "police", Priority: DefaultPriority, Identity: "pol-9"},
	}
	for _, path := range []string{write(t, "fleet.csv", fleetCSV), write(t, "fleet.yaml", fleetYAML)} {
		r, err := Load(path)
		require.NoError(t, err, path)
		assert.Equal(t, want, r.Vehicles(), path)
		assert.Equal(t, map[string]int{"amb-17": 2, "fire-3": 1, "pol-9": 1}, r.Priorities())
		v, ok := r.Lookup("fire-3")
		assert.True(t, ok)
		assert.Equal(t, "FIRE-3.cgdis.lu", v.Identity)
		_, ok = r.Lookup("amb-99")
		assert.False(t, ok)
	}
}

func TestLoadRefusesBadFiles(t *testing.T) {
	tests := []struct{ name, file, text, want string }{
		{"extension", "fleet.txt", fleetCSV, "must end in .csv"},
		{"empty csv", "f.csv", "", "header row"},
		{"no id column", "f.csv", "agency,class\nx,y\n", "no vehicle_id column"},
		{"unknown column", "f.csv", "vehicle_id,colour\na,red\n", `unknown column "colour"`},
		{"bad id", "f.csv", "vehicle_id\namb 1\n", "line 2: invalid vehicle_id"},
		{"duplicate id", "f.csv", "vehicle_id\namb-1\namb-1\n", "line 3: vehicle_id \"amb-1\" listed twice"},
		{"priority range", "f.csv", "vehicle_id,priority\namb-1,256\n", "priority: must be in 1..255"},
		{"priority text", "f.csv", "vehicle_id,priority\namb-1,high\n", "priority: \"high\" is not a number"},
		{"short row", "f.csv", "vehicle_id,priority\namb-1\n", "wrong number of fields"},
		{"identity wildcard", "f.csv", "vehicle_id,identity\namb-1,amb-#\n", "identity"},
		{"identity space", "f.csv", "vehicle_id,identity\namb-1,amb 1\n", "identity"},
		{"shared identity", "f.csv", "vehicle_id,identity\namb-1,x\namb-2,x\n", "already amb-1's"},
		{"identity is another's id", "f.csv", "vehicle_id,identity\namb-1,amb-2\namb-2,\n", "already amb-1's"},
		{"bad class", "f.csv", "vehicle_id,class\namb-1,fire truck\n", "class"},
		{"yaml unknown key", "f.yaml", "vehicles:\n  - vehicle_id: a\n    prio: 2\n", "prio"},
		{"yaml empty", "f.yml", "", "vehicles"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(write(t, tt.file, tt.text))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestCheckNames(t *testing.T) {
	r, err := ParseCSV([]byte(fleetCSV))
	require.NoError(t, err)
	require.NoError(t, r.CheckNames(map[string]string{"I-1": "an intersection", "cc-1": "the controller"}))
	err = r.CheckNames(map[string]string{"amb-17": "an intersection"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "an intersection")
	require.Error(t, r.CheckNames(map[string]string{"FIRE-3.cgdis.lu": "the controller"}), "identities count too")
}

func TestMosquittoACL(t *testing.T) {
	r, err := ParseCSV([]byte(fleetCSV))
	require.NoError(t, err)
	var b strings.Builder
	require.NoError(t, r.MosquittoACL(&b, "greenwave"))
	assert.Contains(t, b.String(), "\nuser FIRE-3.cgdis.lu\ntopic write greenwave/v1/vehicles/fire-3/position\n"+
		"topic write greenwave/v1/vehicles/fire-3/route\ntopic read greenwave/v1/vehicles/fire-3/advisory\n")
	assert.NotContains(t, b.String(), "user amb-17", "vehicles named as their identity are left to the shipped patterns")
}

func FuzzParseCSV(f *testing.F) {
	f.Add([]byte(fleetCSV))
	f.Add([]byte("vehicle_id\n\"a\nb\"\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseCSV(b)
		if err != nil {
			return
		}
		for _, v := range r.Vehicles() {
			if v.validate() != nil || v.Identity == "" {
				t.Fatalf("accepted an invalid vehicle %+v", v)
			}
		}
	})
}

func FuzzParseYAML(f *testing.F) {
	f.Add([]byte(fleetYAML))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseYAML(b)
		if err != nil {
			return
		}
		for _, v := range r.Vehicles() {
			if v.validate() != nil || v.Identity == "" {
				t.Fatalf("accepted an invalid vehicle %+v", v)
			}
		}
	})
}
