"""The differential suite's state machine, part 2: workspaces, documents, blocks and
canvases (workspace, document and block calls are checked against the model too)."""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import (
    rule,
)

from storage.api import (
    BlockUpdate,
    NewCanvasEdge,
    NewCanvasNode,
    WriteContext,
)
from suites import _model
from suites import _strategies as s
from suites._differential import Answer
from suites._machine import MachineBase, _ctx, _id

#: edge ids used again and again (edge ids are unique across canvases)
ID_EDGES = ("e", "E", "é")


class ContentRules(MachineBase):
    # ----------------------------------------------------------------------- workspaces
    @rule(data=st.data())
    def create_workspace(self, data: st.DataObject) -> None:
        name = data.draw(s.name)
        ctx = self.ctx(data)
        given = data.draw(
            st.one_of(st.none(), s.literal_id, st.sampled_from(self.workspaces or ["w"]))
        )
        answer = self.call(
            "create_workspace",
            lambda db, side: db.create_workspace(name, _ctx(side, ctx), id=_id(side, given)),
            fresh=lambda w: w.id if given is None else None,
        )
        predicted = self.expect(
            "create_workspace", answer, lambda: self._model_workspace(name, ctx, given, answer)
        )
        if answer.ok:
            self.model.add_workspace(predicted)
            self.workspaces.append(answer.value["id"])

    def _model_workspace(
        self, name: str, ctx: WriteContext, given: str | None, answer: Answer
    ) -> _model.Workspace:
        workspace = self.model.create_workspace(name, ctx, given)
        if given is None and answer.ok:
            workspace.id = answer.value["id"]
        return workspace

    @rule()
    def list_workspaces(self) -> None:
        answer = self.call("list_workspaces", lambda db, side: db.list_workspaces())
        self.expect("list_workspaces", answer, self.model.list_workspaces)

    @rule(data=st.data())
    def get_workspace(self, data: st.DataObject) -> None:
        key = self.key(data, self.workspaces)
        answer = self.call("get_workspace", lambda db, side: db.get_workspace(side.resolve(key)))
        self.expect("get_workspace", answer, lambda: self.model.get_workspace(key))

    @rule(data=st.data())
    def delete_workspace(self, data: st.DataObject) -> None:
        key, ctx = self.key(data, self.workspaces), self.ctx(data)
        answer = self.call(
            "delete_workspace",
            lambda db, side: db.delete_workspace(side.resolve(key), _ctx(side, ctx)),
        )
        self.expect("delete_workspace", answer, lambda: self.model.delete_workspace(key, ctx))

    # ----------------------------------------------------------------------- documents
    @rule(data=st.data())
    def create_document(self, data: st.DataObject) -> None:
        ws, title, ctx = self.key(data, self.workspaces), data.draw(s.name), self.ctx(data)
        given = data.draw(st.one_of(s.literal_id, st.sampled_from(self.documents or ["d"])))
        answer = self.call(
            "create_document",
            lambda db, side: db.create_document(
                side.resolve(ws), title, _ctx(side, ctx), id=side.resolve(given)
            ),
        )
        self.expect(
            "create_document", answer, lambda: self.model.create_document(ws, title, ctx, given)
        )
        if answer.ok:
            self.documents.append(given)

    @rule(data=st.data())
    def create_document_without_id(self, data: st.DataObject) -> None:
        """The store names the document (a title of its own: ties are ordered by id)."""
        ws, ctx = self.key(data, self.workspaces), self.ctx(data)
        title = f"untitled {len(self.documents)}"
        answer = self.call(
            "create_document",
            lambda db, side: db.create_document(side.resolve(ws), title, _ctx(side, ctx)),
            fresh=lambda d: d.id,
        )
        if answer.ok:
            self.expect(
                "create_document",
                answer,
                lambda: self.model.create_document(ws, title, ctx, answer.value["id"]),
            )
            self.documents.append(answer.value["id"])
        else:
            self.expect(
                "create_document", answer, lambda: self.model.create_document(ws, title, ctx, "x")
            )

    @rule(data=st.data())
    def list_documents(self, data: st.DataObject) -> None:
        ws = self.key(data, self.workspaces)
        answer = self.call("list_documents", lambda db, side: db.list_documents(side.resolve(ws)))
        self.expect("list_documents", answer, lambda: self.model.list_documents(ws))

    @rule(data=st.data())
    def get_document(self, data: st.DataObject) -> None:
        key = self.key(data, self.documents)
        answer = self.call("get_document", lambda db, side: db.get_document(side.resolve(key)))
        self.expect("get_document", answer, lambda: self.model.get_document(key))

    @rule(data=st.data())
    def delete_document(self, data: st.DataObject) -> None:
        key, ctx = self.key(data, self.documents), self.ctx(data)
        answer = self.call(
            "delete_document",
            lambda db, side: db.delete_document(side.resolve(key), _ctx(side, ctx)),
        )
        self.expect("delete_document", answer, lambda: self.model.delete_document(key, ctx))

    # ----------------------------------------------------------------------- blocks
    @rule(data=st.data())
    def create_block(self, data: st.DataObject) -> None:
        doc, ctx = self.key(data, self.documents), self.ctx(data)
        block = self.new_block(data, self.good(data))
        answer = self.call(
            "create_block",
            lambda db, side: db.create_block(side.resolve(doc), block, _ctx(side, ctx)),
        )
        self.expect("create_block", answer, lambda: self.model.create_block(doc, block, ctx))
        if answer.ok:
            self.blocks.append(block.id)

    @rule(data=st.data())
    def update_block(self, data: st.DataObject) -> None:
        key, ctx, good = self.key(data, self.blocks), self.ctx(data), self.good(data)
        text, name = (s.valid_text, s.valid_name) if good else (s.text(), s.name)
        maybe = st.none()
        update = BlockUpdate(
            kind=data.draw(st.one_of(maybe, name)),
            raw_content=data.draw(st.one_of(maybe, text)),
            display_content=data.draw(st.one_of(maybe, text)),
            derived_content=data.draw(st.one_of(maybe, s.valid_json if good else s.json_object)),
            sequence=data.draw(st.one_of(maybe, s.valid_sequence if good else s.sequence)),
        )
        answer = self.call(
            "update_block",
            lambda db, side: db.update_block(side.resolve(key), update, _ctx(side, ctx)),
        )
        self.expect("update_block", answer, lambda: self.model.update_block(key, update, ctx))

    @rule(data=st.data())
    def delete_block(self, data: st.DataObject) -> None:
        key, ctx = self.key(data, self.blocks), self.ctx(data)
        answer = self.call(
            "delete_block", lambda db, side: db.delete_block(side.resolve(key), _ctx(side, ctx))
        )
        self.expect("delete_block", answer, lambda: self.model.delete_block(key, ctx))

    @rule(data=st.data())
    def replace_blocks(self, data: st.DataObject) -> None:
        doc, ctx = self.key(data, self.documents), self.ctx(data)
        good = self.good(data)
        blocks = [self.new_block(data, good) for _ in range(data.draw(st.integers(0, 4)))]
        answer = self.call(
            "replace_blocks",
            lambda db, side: db.replace_blocks(side.resolve(doc), blocks, _ctx(side, ctx)),
        )
        self.expect("replace_blocks", answer, lambda: self.model.replace_blocks(doc, blocks, ctx))
        if answer.ok:
            self.blocks.extend(b.id for b in blocks)

    @rule(data=st.data())
    def list_blocks(self, data: st.DataObject) -> None:
        doc = self.key(data, self.documents)
        answer = self.call("list_blocks", lambda db, side: db.list_blocks(side.resolve(doc)))
        self.expect("list_blocks", answer, lambda: self.model.list_blocks(doc))

    @rule(data=st.data())
    def get_block(self, data: st.DataObject) -> None:
        key = self.key(data, self.blocks)
        answer = self.call("get_block", lambda db, side: db.get_block(side.resolve(key)))
        self.expect("get_block", answer, lambda: self.model.get_block(key))

    # ----------------------------------------------------------------------- canvases
    @rule(data=st.data())
    def create_canvas(self, data: st.DataObject) -> None:
        ws, title, ctx = self.key(data, self.workspaces), data.draw(s.name), self.ctx(data)
        given = data.draw(
            st.one_of(st.none(), s.literal_id, st.sampled_from(self.canvases or ["c"]))
        )
        answer = self.call(
            "create_canvas",
            lambda db, side: db.create_canvas(
                side.resolve(ws), title, _ctx(side, ctx), id=_id(side, given)
            ),
            fresh=lambda c: c.id if given is None else None,
        )
        if answer.ok:
            self.canvases.append(answer.value["id"])

    @rule(data=st.data())
    def list_canvases(self, data: st.DataObject) -> None:
        ws = self.key(data, self.workspaces)
        self.call("list_canvases", lambda db, side: db.list_canvases(side.resolve(ws)))

    @rule(data=st.data())
    def get_canvas(self, data: st.DataObject) -> None:
        key = self.key(data, self.canvases)
        self.call("get_canvas", lambda db, side: db.get_canvas(side.resolve(key)))

    @rule(data=st.data())
    def update_canvas_graph(self, data: st.DataObject) -> None:
        key, ctx = self.key(data, self.canvases), self.ctx(data)
        good = self.good(data)
        node_id = st.one_of(
            s.valid_id if good else s.literal_id, st.sampled_from(self.nodes or ["n"])
        )
        nodes = data.draw(
            st.lists(
                st.builds(
                    NewCanvasNode,
                    kind=s.valid_name if good else s.name,
                    x=s.valid_integer if good else s.integer,
                    y=s.valid_integer if good else s.integer,
                    data=st.one_of(st.just({}), s.valid_json if good else s.json_object),
                    id=node_id,
                ),
                max_size=4,
            )
        )
        ends = st.sampled_from([n.id for n in nodes] or ["n"])
        if not good:
            ends = st.one_of(ends, s.missing_id)
        edges = data.draw(
            st.lists(
                st.builds(
                    NewCanvasEdge,
                    source_node_id=ends,
                    target_node_id=ends,
                    label=st.one_of(st.none(), s.valid_text if good else s.text()),
                    id=st.one_of(s.valid_id if good else s.literal_id, st.sampled_from(ID_EDGES)),
                ),
                max_size=4,
            )
        )
        answer = self.call(
            "update_canvas_graph",
            lambda db, side: db.update_canvas_graph(
                side.resolve(key), nodes, edges, _ctx(side, ctx)
            ),
        )
        if answer.ok:
            self.nodes.extend(n.id for n in nodes)

    @rule(data=st.data())
    def delete_canvas(self, data: st.DataObject) -> None:
        key, ctx = self.key(data, self.canvases), self.ctx(data)
        self.call(
            "delete_canvas", lambda db, side: db.delete_canvas(side.resolve(key), _ctx(side, ctx))
        )
