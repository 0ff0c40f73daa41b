package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/internal/x12"
	"github.com/clinicflow/rcm/workflows/contract"
)

// maxEDIFile bounds an uploaded X12 file (a large 835 is a few hundred KB).
const maxEDIFile = 4 << 20

// ProblemUnreadableFile is the problem type of an X12 file that does not parse.
const ProblemUnreadableFile = "/problems/unreadable-file"

// claimUpdate sends an update to a claim's workflow and writes its answer.
func (s *Server) claimUpdate(c *gin.Context, name string, arg, out any) {
	var cl claims.Claim
	if err := s.records.Get(c.Request.Context(), &cl, c.Param("id")); err != nil {
		s.fail(c, err)
		return
	}
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	err := s.update(c.Request.Context(), 30*time.Second, contract.ClaimWorkflowID(cl.ID), name, derivedID(cl.ID, name, key), arg, out)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		conflictProblem(c, "the claim's workflow is not running: the claim is finished")
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

// update sends an update to a running workflow and waits for its answer.
func (s *Server) update(ctx context.Context, wait time.Duration, workflowID, name, updateID string, arg, out any) error {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	h, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflowID, UpdateID: updateID, UpdateName: name, Args: []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return err
	}
	return h.Get(ctx, out)
}

// fixClaim submits the correction a claim waits for (scrub failures, inactive
// coverage, a payer's rejection); the workflow scrubs it again.
func (s *Server) fixClaim(c *gin.Context) {
	var f claims.Fix
	if !bind(c, &f) {
		return
	}
	var out claims.Built
	s.claimUpdate(c, contract.UpdateFixClaim, contract.FixRequest{Fix: f, Actor: actor(c)}, &out)
}

type decisionBody struct {
	Action   string      `json:"action"`
	Fix      *claims.Fix `json:"fix,omitempty"`
	Argument string      `json:"argument,omitempty" maxlen:"2000"`
	Note     string      `json:"note" maxlen:"2000"`
}

// decideDenial records a biller's decision on a denied claim.
func (s *Server) decideDenial(c *gin.Context) {
	var b decisionBody
	if !bind(c, &b) {
		return
	}
	var out contract.DecisionResult
	s.claimUpdate(c, contract.UpdateDecideDenial, contract.DenialDecision{Action: b.Action, Fix: b.Fix,
		Argument: b.Argument, Note: b.Note, Actor: actor(c)}, &out)
}

type approvalBody struct {
	Approve *bool  `json:"approve"`
	Note    string `json:"note" maxlen:"2000"`
}

// approveWriteOff is a manager's answer to a write-off request.
func (s *Server) approveWriteOff(c *gin.Context) {
	var b approvalBody
	if !bind(c, &b) {
		return
	}
	if b.Approve == nil {
		invalid(c, validate.Errors{{Field: "approve", Message: "is required: true or false"}})
		return
	}
	var out contract.DecisionResult
	s.claimUpdate(c, contract.UpdateApproveWriteOff, contract.WriteOffApproval{Approve: *b.Approve, Note: b.Note, Actor: actor(c)}, &out)
}

// claimWorkflowState is the live state of a claim's workflow, or nil when it is
// not running (finished, or never started).
func (s *Server) claimWorkflowState(ctx context.Context, claimID string) (*contract.ClaimState, error) {
	res, err := s.Temporal.QueryWorkflow(ctx, contract.ClaimWorkflowID(claimID), "", contract.QueryClaimState)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st contract.ClaimState
	if err := res.Get(&st); err != nil {
		return nil, err
	}
	st.Inbox = nil
	return &st, nil
}

// uploadEDI applies an 835, 999 or 277CA: the raw body, or the "file" part of a
// multipart form. The file is parsed first (a file that does not parse is a 422
// naming the segment and position, and nothing is posted), then applied by its
// inbound workflow, whose answer says what was posted, matched and rejected.
func (s *Server) uploadEDI(c *gin.Context) {
	data, ok := readEDI(c)
	if !ok {
		return
	}
	kind, err := contract.FileKind(data)
	if err == nil {
		var id string
		if id, err = contract.InboundWorkflowID(kind, data); err == nil {
			s.applyInbound(c, id, contract.InboundFile{Kind: kind, Data: data, Source: "upload", Actor: actor(c)})
			return
		}
	}
	unreadable(c, err)
}

func readEDI(c *gin.Context) ([]byte, bool) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxEDIFile)
	var r io.Reader = c.Request.Body
	if ct := c.ContentType(); ct == "multipart/form-data" {
		fh, err := c.FormFile("file")
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) || (err != nil && strings.Contains(err.Error(), "request body too large")) {
			problem(c, http.StatusRequestEntityTooLarge, ProblemMalformed, "File too large",
				fmt.Sprintf("an X12 file must be at most %d bytes; split larger remittances", maxEDIFile))
			return nil, false
		}
		if err != nil {
			invalid(c, validate.Errors{{Field: "file", Message: "a multipart upload needs the X12 file in a part named file"}})
			return nil, false
		}
		f, err := fh.Open()
		if err != nil {
			invalid(c, validate.Errors{{Field: "file", Message: "could not be read"}})
			return nil, false
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(r)
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) || (err != nil && strings.Contains(err.Error(), "request body too large")) {
		problem(c, http.StatusRequestEntityTooLarge, ProblemMalformed, "File too large",
			fmt.Sprintf("an X12 file must be at most %d bytes; split larger remittances", maxEDIFile))
		return nil, false
	}
	if err != nil {
		invalid(c, validate.Errors{{Field: "file", Message: fmt.Sprintf("could not be read (at most %d bytes)", maxEDIFile)}})
		return nil, false
	}
	if len(data) == 0 {
		invalid(c, validate.Errors{{Field: "file", Message: "is empty: send an 835, 999 or 277CA as the body or as the multipart part file"}})
		return nil, false
	}
	return data, true
}

// unreadable answers a file that does not parse, naming where.
func unreadable(c *gin.Context, err error) {
	fe := validate.FieldError{Field: "file", Message: err.Error()}
	var pe *x12.ParseError
	if errors.As(err, &pe) {
		fe.Message = fmt.Sprintf("segment %s at position %d", pe.Segment, pe.Position)
		if pe.Element > 0 {
			fe.Message += fmt.Sprintf(", element %d", pe.Element)
		}
		fe.Message += ": " + pe.Msg
	}
	problem(c, http.StatusUnprocessableEntity, ProblemUnreadableFile, "The file cannot be read", err.Error(), fe)
}

// inboundAnswer is what an upload did.
type inboundAnswer struct {
	WorkflowID string `json:"workflow_id"`
	contract.InboundResult
}

func (s *Server) applyInbound(c *gin.Context, id string, in contract.InboundFile) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Minute)
	defer cancel()
	run, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: contract.TaskQueue,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, contract.InboundWorkflowName, in)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := inboundAnswer{WorkflowID: id}
	err = run.Get(ctx, &out.InboundResult)
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == contract.ErrTypeUnreadable {
		unreadable(c, errors.New(appErr.Message()))
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	out.Notices, out.Events = nil, nil // what the workflows were told
	c.JSON(http.StatusOK, out)
}
