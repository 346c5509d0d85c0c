;; call_csr_ecall
;; block 0:
;;   0000000080000000  jal 0x80000100
;; block 1:
;;   0000000080000004  addi a0,a0,1
;;   0000000080000008  csrr a1,mstatus
;; block 2:
;;   000000008000000c  divu a0,a0,a1
;;   0000000080000010  ecall
;; block 3:
;;   0000000080000014  .2byte 0x0000
;; block 4:
;;   0000000080000100  .2byte 0x0000
(module
  (type (;0;) (func (param i32 i32 i32 i32 i32 i32) (result i32)))
  (type (;1;) (func (param i32) (result i32)))
  (type (;2;) (func (param i32 i64 i64) (result i32)))
  (type (;3;) (func (param i32)))
  (import "h" "csr" (func $h.csr (type 0) (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "h" "ecall" (func $h.ecall (type 1) (param i32) (result i32)))
  (import "h" "raise" (func $h.raise (type 2) (param i32 i64 i64) (result i32)))
  (import "e" "m" (memory (;0;) 0))
  (export "run" (func $run))
  (func $run (type 3) (param i32)
    (local i64 i64 i64 i64 i32 i32 i32 i64 i64 i64)
    block $B0
      block $B1
        local.get 0
        i64.load offset=264
        local.tee 4
        i64.const -4096
        i64.and
        local.set 1
        local.get 4
        i32.wrap_i64
        i32.const 4095
        i32.and
        local.set 5
        local.get 0
        i64.load offset=272
        local.set 2
        local.get 0
        i32.load offset=280
        local.set 7
        local.get 0
        i64.load offset=8
        local.set 8
        local.get 0
        i64.load offset=80
        local.set 9
        local.get 0
        i64.load offset=88
        local.set 10
        loop $B2
          block $B3
            block $B4
              block $B5
                block $B6
                  block $B7
                    block $B8
                      local.get 5
                      i32.const 1
                      i32.shr_u
                      br_table $B7 $B8 $B6 $B8 $B8 $B8 $B5 $B8 $B8 $B8 $B4 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B8 $B3 $B8
                    end
                    local.get 0
                    local.get 1
                    local.get 5
                    i64.extend_i32_u
                    i64.add
                    i64.store offset=264
                    local.get 0
                    local.get 2
                    i64.store offset=272
                    br $B1
                  end
                  local.get 2
                  i64.const 1
                  i64.sub
                  local.tee 2
                  i64.const 0
                  i64.lt_s
                  if $B9
                    local.get 0
                    local.get 1
                    i64.store offset=264
                    local.get 0
                    local.get 2
                    i64.const 1
                    i64.add
                    i64.store offset=272
                    br $B1
                  end
                  local.get 1
                  i64.const 4
                  i64.add
                  local.set 8
                  br $B3
                end
                local.get 2
                i64.const 2
                i64.sub
                local.tee 2
                i64.const 0
                i64.lt_s
                if $B10
                  local.get 0
                  local.get 1
                  i64.const 4
                  i64.add
                  i64.store offset=264
                  local.get 0
                  local.get 2
                  i64.const 2
                  i64.add
                  i64.store offset=272
                  br $B1
                end
                local.get 9
                i64.const 1
                i64.add
                local.set 9
                local.get 0
                local.get 8
                i64.store offset=8
                local.get 0
                local.get 9
                i64.store offset=80
                local.get 0
                local.get 10
                i64.store offset=88
                local.get 0
                local.get 1
                i64.const 8
                i64.add
                i64.store offset=264
                local.get 0
                local.get 2
                i64.const 1
                i64.add
                i64.store offset=272
                local.get 0
                i32.const 59
                i32.const 11
                i32.const 0
                i32.const 768
                i32.const 805316083
                call $h.csr
                if $B11
                  local.get 0
                  local.get 2
                  i64.store offset=272
                  br $B0
                end
                local.get 0
                local.get 1
                i64.const 12
                i64.add
                i64.store offset=264
                local.get 0
                local.get 2
                i64.store offset=272
                br $B0
              end
              local.get 2
              i64.const 2
              i64.sub
              local.tee 2
              i64.const 0
              i64.lt_s
              if $B12
                local.get 0
                local.get 1
                i64.const 12
                i64.add
                i64.store offset=264
                local.get 0
                local.get 2
                i64.const 2
                i64.add
                i64.store offset=272
                br $B1
              end
              local.get 9
              local.set 3
              local.get 10
              local.set 4
              i64.const -1
              local.get 3
              i64.const 1
              local.get 4
              local.get 4
              i64.eqz
              select
              i64.div_u
              local.get 4
              i64.eqz
              select
              local.set 9
              local.get 0
              local.get 8
              i64.store offset=8
              local.get 0
              local.get 9
              i64.store offset=80
              local.get 0
              local.get 10
              i64.store offset=88
              local.get 0
              local.get 1
              i64.const 16
              i64.add
              i64.store offset=264
              local.get 0
              local.get 2
              i64.const 1
              i64.add
              i64.store offset=272
              local.get 0
              call $h.ecall
              if $B13
                local.get 0
                local.get 2
                i64.store offset=272
                br $B0
              end
              local.get 0
              local.get 1
              i64.const 20
              i64.add
              i64.store offset=264
              local.get 0
              local.get 2
              i64.store offset=272
              br $B0
            end
            local.get 2
            i64.const 1
            i64.sub
            local.tee 2
            i64.const 0
            i64.lt_s
            if $B14
              local.get 0
              local.get 1
              i64.const 20
              i64.add
              i64.store offset=264
              local.get 0
              local.get 2
              i64.const 1
              i64.add
              i64.store offset=272
              br $B1
            end
            local.get 0
            local.get 8
            i64.store offset=8
            local.get 0
            local.get 9
            i64.store offset=80
            local.get 0
            local.get 10
            i64.store offset=88
            local.get 0
            local.get 1
            i64.const 20
            i64.add
            i64.store offset=264
            local.get 0
            local.get 2
            i64.const 1
            i64.add
            i64.store offset=272
            local.get 0
            i64.const 2
            i64.const 0
            call $h.raise
            drop
            local.get 0
            local.get 2
            i64.store offset=272
            br $B1
          end
          local.get 2
          i64.const 1
          i64.sub
          local.tee 2
          i64.const 0
          i64.lt_s
          if $B15
            local.get 0
            local.get 1
            i64.const 256
            i64.add
            i64.store offset=264
            local.get 0
            local.get 2
            i64.const 1
            i64.add
            i64.store offset=272
            br $B1
          end
          local.get 0
          local.get 8
          i64.store offset=8
          local.get 0
          local.get 9
          i64.store offset=80
          local.get 0
          local.get 10
          i64.store offset=88
          local.get 0
          local.get 1
          i64.const 256
          i64.add
          i64.store offset=264
          local.get 0
          local.get 2
          i64.const 1
          i64.add
          i64.store offset=272
          local.get 0
          i64.const 2
          i64.const 0
          call $h.raise
          drop
          local.get 0
          local.get 2
          i64.store offset=272
          br $B1
        end
        unreachable
      end
      local.get 0
      local.get 8
      i64.store offset=8
      local.get 0
      local.get 9
      i64.store offset=80
      local.get 0
      local.get 10
      i64.store offset=88
    end))
